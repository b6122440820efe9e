"""What an alert group's escalation has done so far, read back from its timeline: each
level reached (who was paged, when, why), and every warning (levels skipped because
nobody was on call, people who could not be notified). For the group's page."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.escalation.actions import escalation_out
from muster.domain.escalation.models import Escalation
from muster.domain.escalation.schemas import EscalationOut
from muster.domain.events.models import Event

# The events read; "notification.failed" with ``permanent`` names someone nobody could reach.
PAGED = ("escalation.level_reached", "escalation.fallback_to_managers")
WARNED = ("escalation.skipped_level", "escalation.exhausted", "notification.failed")
MAX_EVENTS = 500
REASONS = {
    "escalation": "by the policy",
    "escalate_now": "escalated by hand",
    "reassigned": "reassigned",
    "retriggered": "triggered again",
    "ack_timeout": "ack timeout",
    "snooze_ended": "snooze ended",
    "support_hours": "support hours started",
    "fallback_team_managers": "nobody on any level: team managers",
}


@dataclass(frozen=True)
class Person:
    id: str
    name: str


@dataclass(frozen=True)
class Step:
    """One page sent out: a level reached (``level`` 1-based), or the team managers."""

    at: datetime
    level: int | None
    loop: int
    people: list[Person]
    reason: str
    by: str


@dataclass(frozen=True)
class StoryWarning:
    at: datetime
    text: str


@dataclass
class EscalationStory:
    state: EscalationOut
    steps: list[Step] = field(default_factory=list)
    warnings: list[StoryWarning] = field(default_factory=list)

    @property
    def next_step(self) -> tuple[str, datetime | None]:
        """What happens next, in words, and when (None: nothing is due)."""
        s = self.state
        if s.status == "exhausted":
            return "exhausted: every level was paged and nobody acknowledged", None
        if s.status == "resolved":
            return "stopped: the group is resolved", None
        if s.status == "snoozed":
            return "snoozed until", s.snoozed_until
        if s.status == "acknowledged":
            if s.ack_timeout_due_at is not None:
                return "acknowledged; pages again unless resolved by", s.ack_timeout_due_at
            return "stopped: acknowledged", None
        if s.held_until_support_hours:
            if s.next_due_at is None:
                return "held: low urgency, and the service has no support hours", None
            return "held until support hours, at", s.next_due_at
        if s.next_level is None:
            return "exhausted after this level, at", s.next_due_at
        return f"level {s.next_level} is paged at", s.next_due_at


def escalation_story(uow: UnitOfWork, group_id: str) -> EscalationStory | None:
    """The group's escalation and its steps so far; None when it is not being escalated."""
    esc = uow.session.scalar(select(Escalation).where(Escalation.group_id == group_id))
    if esc is None:
        return None
    rows = list(
        uow.session.scalars(
            select(Event)
            .where(
                Event.subject_type == "alert_group",
                Event.subject_id == group_id,
                Event.type.in_(PAGED + WARNED),
            )
            .order_by(Event.position.desc())
            .limit(MAX_EVENTS)
        )
    )
    rows.reverse()
    names = _names(uow, _user_ids(rows))
    story = EscalationStory(state=escalation_out(esc))
    for e in rows:
        data = e.data or {}
        if e.type in PAGED:
            people = [Person(u, names.get(u, "(unknown)")) for u in data.get("user_ids") or []]
            level = data.get("level") if e.type == PAGED[0] else None
            reason = str(data.get("reason") or "fallback_team_managers")
            story.steps.append(
                Step(e.occurred_at, level, int(data.get("loop") or 0), people,
                     REASONS.get(reason, reason), e.actor_label)
            )  # fmt: skip
        for text in _warnings(e.type, data, names):
            story.warnings.append(StoryWarning(e.occurred_at, text))
    return story


def _warnings(kind: str, data: dict[str, Any], names: dict[str, str]) -> Iterable[str]:
    if kind == "escalation.skipped_level":
        whys = "; ".join(str(s.get("why")) for s in data.get("skipped") or [])
        yield f"level {data.get('level')} skipped: {whys or 'nobody to notify'}"
    elif kind == "escalation.level_reached":
        for skipped in data.get("skipped") or []:
            yield f"level {data.get('level')}: {skipped.get('why')}"
    elif kind == "escalation.fallback_to_managers":
        yield str(data.get("why") or "no level had anyone to notify") + ": team managers paged"
        if data.get("warning"):
            yield str(data["warning"])
    elif kind == "escalation.exhausted":
        yield str(data.get("warning") or "the policy is exhausted")
    elif kind == "notification.failed" and data.get("permanent"):
        who = names.get(str(data.get("user_id")), "someone")
        yield f"{who} was not notified: {data.get('warning') or data.get('error')}"


def _user_ids(rows: Iterable[Event]) -> set[str]:
    ids: set[str] = set()
    for e in rows:
        ids.update(str(u) for u in (e.data or {}).get("user_ids") or [])
        if (e.data or {}).get("user_id"):
            ids.add(str(e.data["user_id"]))
    return ids


def _names(uow: UnitOfWork, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = uow.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {r.id: r.name for r in rows}
