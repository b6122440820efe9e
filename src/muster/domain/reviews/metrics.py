"""How fast an incident was handled: the response times of one incident, or of many at
once (a few queries for any number), for the review and the metrics page.

Every time is in seconds, from one moment to a later one. A moment that never happened
(a skipped phase, no alerts, no Commander yet) gives ``None`` — never zero — and the
aggregates leave it out of that figure.

* **impact start**: the earliest moment the linked alerts say the problem began — the
  source's own start time (``Alert.occurred_at``) or, failing that, when Muster first saw
  the alert group (``AlertGroup.first_seen``). None without linked alerts.
* **time to detect** (MTTD) = ``detected_at`` - impact start; None without linked alerts
  (people's own detection time is then the only evidence, and it measures nothing).
  Negative gaps (someone backdated ``detected_at`` before the alert) count as zero.
* **time to acknowledge** (MTTA) = first acknowledgement - ``detected_at``, where the
  first acknowledgement is the earliest of: a linked alert group acknowledged, a person
  taking any incident role, and the declaration itself when a person (not an
  integration, the engine or a script) declared it: ``declared_by`` is that person's
  email. Never before detection (floored at 0).
* **time to declare** = ``declared_at`` - ``detected_at``.
* **time to engage the Commander** = the first Incident Commander assignment -
  ``declared_at`` (0 when named at declaration); None when nobody ever held the role.
* **time to contain** (MTTC) = ``contained_at`` - ``detected_at``; None when the
  incident never entered "contained" (skipped straight to recovery or resolution).
* **time to recover** (MTTR, "time to restore service" in DORA/PagerDuty terms) =
  ``resolved_at`` - ``detected_at``: until the impact was over. None while unresolved.
* **time to resolve** (Atlassian's "mean time to resolve", follow-up included) =
  ``closed_at`` - ``detected_at``: until the incident was closed after its review.

Reopened incidents: a reopen clears ``resolved_at``/``closed_at`` (see
:mod:`muster.domain.incidents.transitions`) and the next resolution sets them again, so
both times run to the *final* resolution and close; ``reopened`` says it happened. The
phase times come from :func:`muster.domain.incidents.lifecycle.phase_spans`.

Pages: each request to notify one person about the incident — a page of one of its
linked alert groups (outbox rows of purpose ``page``) or an incident page (outbox rows
of purpose ``incident`` for ``incident.commander_needed``/``participant_added``) — counted
once however many contact methods it used; people paged: distinct persons among them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, and_, case, cast, func, literal, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.events.models import Event
from muster.domain.incidents.lifecycle import phase_spans
from muster.domain.incidents.models import (
    Incident,
    IncidentAlertGroup,
    IncidentRoleType,
    RoleAssignment,
)
from muster.domain.incidents.roles import COMMANDER
from muster.domain.notify.incident_notices import PAGES
from muster.domain.notify.incident_notices import PURPOSE as INCIDENT_PURPOSE
from muster.domain.notify.models import OutboxMessage

# The figures, in the order pages and CSV show them: (key, label, abbreviation).
TIMES = (
    ("time_to_detect", "Time to detect", "MTTD"),
    ("time_to_acknowledge", "Time to acknowledge", "MTTA"),
    ("time_to_declare", "Time to declare", ""),
    ("time_to_engage_commander", "Time to engage the Commander", ""),
    ("time_to_contain", "Time to contain", "MTTC"),
    ("time_to_recover", "Time to recover", "MTTR"),
    ("time_to_resolve", "Time to resolve", ""),
)
TIME_KEYS = tuple(key for key, _label, _abbr in TIMES)


@dataclass(frozen=True, slots=True)
class Facts:
    """The moments one incident's times are computed from, in epoch seconds."""

    detected: float
    declared: float
    contained: float | None = None
    resolved: float | None = None
    closed: float | None = None
    alert_occurred: float | None = None  # earliest Alert.occurred_at of linked alerts
    group_first_seen: float | None = None  # earliest AlertGroup.first_seen
    group_acknowledged: float | None = None  # earliest acknowledgement of a linked group
    first_role: float | None = None  # earliest start of any role assignment
    first_commander: float | None = None  # earliest Commander assignment
    declared_by_person: float | None = None  # the declaration, when a person declared


def _gap(later: float | None, earlier: float | None, floor: bool = False) -> float | None:
    if later is None or earlier is None:
        return None
    seconds = round(later - earlier, 3)
    return max(seconds, 0.0) if floor else seconds


def _earliest(*moments: float | None) -> float | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def compute_times(facts: Facts) -> dict[str, float | None]:
    """Each of :data:`TIME_KEYS` for one incident, as the module docstring defines it."""
    impact = _earliest(facts.alert_occurred, facts.group_first_seen)
    ack = _earliest(facts.group_acknowledged, facts.first_role, facts.declared_by_person)
    return {
        "time_to_detect": _gap(facts.detected, impact, floor=True),
        "time_to_acknowledge": _gap(ack, facts.detected, floor=True),
        "time_to_declare": _gap(facts.declared, facts.detected),
        "time_to_engage_commander": _gap(facts.first_commander, facts.declared, floor=True),
        "time_to_contain": _gap(facts.contained, facts.detected),
        "time_to_recover": _gap(facts.resolved, facts.detected),
        "time_to_resolve": _gap(facts.closed, facts.detected),
    }


@dataclass(frozen=True, slots=True)
class IncidentMetrics:
    incident_id: str
    times: dict[str, float | None]
    reopened: bool
    phases: list[tuple[str, int]] = field(default_factory=list)  # (phase, seconds)
    pages: int = 0
    people_paged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id, **self.times, "reopened": self.reopened,
            "phases": [{"phase": p, "seconds": s} for p, s in self.phases],
            "pages": self.pages, "people_paged": self.people_paged,
        }  # fmt: skip


# ---------------------------------------------------------------- queries


def epoch(uow: UnitOfWork, column: Any) -> ColumnElement[Any]:
    """``column`` (a UTC datetime) as epoch seconds, computed by the database."""
    if uow.dialect == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * literal(86400.0)


def facts_query(uow: UnitOfWork, *columns: Any) -> Select[Any]:
    """A select of ``Incident.id``, ``columns`` and every :class:`Facts` field (epoch
    seconds), one row per incident, to be narrowed with ``where``: two grouped
    subqueries (alerts, roles) and a lookup of the declarer among users."""
    alerts = (
        select(
            IncidentAlertGroup.incident_id.label("incident_id"),
            func.min(Alert.occurred_at).label("occurred"),
            func.min(AlertGroup.first_seen).label("first_seen"),
            func.min(AlertGroup.acknowledged_at).label("acknowledged"),
        )
        .join(AlertGroup, AlertGroup.id == IncidentAlertGroup.group_id)
        .outerjoin(Alert, Alert.group_id == AlertGroup.id)
        .group_by(IncidentAlertGroup.incident_id)
        .subquery()
    )
    commander = select(IncidentRoleType.id).where(IncidentRoleType.key == COMMANDER)
    roles = (
        select(
            RoleAssignment.incident_id.label("incident_id"),
            func.min(RoleAssignment.started_at).label("first_role"),
            func.min(
                case(
                    (
                        RoleAssignment.role_type_id.in_(commander.scalar_subquery()),
                        RoleAssignment.started_at,
                    ),
                    else_=None,
                )
            ).label("first_commander"),
        )
        .group_by(RoleAssignment.incident_id)
        .subquery()
    )
    # A person acts under their email (accounts.credentials.actor_for); an integration,
    # the engine or the CLI's system actor under another label.
    by_person = case((User.id.is_not(None), Incident.declared_at), else_=None)
    return (
        select(
            Incident.id,
            *columns,
            epoch(uow, Incident.detected_at),
            epoch(uow, Incident.declared_at),
            epoch(uow, Incident.contained_at),
            epoch(uow, Incident.resolved_at),
            epoch(uow, Incident.closed_at),
            epoch(uow, alerts.c.occurred),
            epoch(uow, alerts.c.first_seen),
            epoch(uow, alerts.c.acknowledged),
            epoch(uow, roles.c.first_role),
            epoch(uow, roles.c.first_commander),
            epoch(uow, by_person),
        )
        .outerjoin(alerts, alerts.c.incident_id == Incident.id)
        .outerjoin(roles, roles.c.incident_id == Incident.id)
        .outerjoin(User, User.email == Incident.declared_by)
    )


def facts_of(row: Any, skip: int) -> Facts:
    """The :class:`Facts` in a row of :func:`facts_query` after its first ``skip``
    columns."""
    values = tuple(row)[skip:]
    return Facts(*values)


def times_for(uow: UnitOfWork, where: ColumnElement[bool]) -> dict[str, dict[str, float | None]]:
    """The times of every incident matching ``where`` (a clause on :class:`Incident`),
    by incident id: one query, whatever the number."""
    rows = uow.session.execute(facts_query(uow).where(where))
    return {row[0]: compute_times(facts_of(row, 1)) for row in rows}


def pages_for(uow: UnitOfWork, incident_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(pages, people paged) per incident, as the module docstring defines them."""
    ids = list(incident_ids)
    requests: dict[str, set[tuple[str | None, str | None]]] = {i: set() for i in ids}
    if not ids:
        return {}
    group_pages = (
        select(IncidentAlertGroup.incident_id, OutboxMessage.request_event_id,
               OutboxMessage.user_id)
        .join(OutboxMessage, OutboxMessage.group_id == IncidentAlertGroup.group_id)
        .where(IncidentAlertGroup.incident_id.in_(ids), OutboxMessage.purpose == "page")
    )  # fmt: skip
    incident_pages = (
        select(Event.subject_id, OutboxMessage.request_event_id, OutboxMessage.user_id)
        .join(OutboxMessage, OutboxMessage.request_event_id == Event.id)
        .where(
            and_(Event.subject_type == "incident", Event.subject_id.in_(ids)),
            Event.type.in_(sorted(PAGES)),
            OutboxMessage.purpose == INCIDENT_PURPOSE,
        )
    )
    for query in (group_pages, incident_pages):
        for incident_id, request_id, user_id in uow.session.execute(query):
            requests[incident_id].add((request_id, user_id))
    return {
        i: (len(found), len({user for _req, user in found if user is not None}))
        for i, found in requests.items()
    }


def incident_metrics(uow: UnitOfWork, incident: Incident) -> IncidentMetrics:
    """The metrics of one incident (the caller has checked the viewer may see it)."""
    times = times_for(uow, Incident.id == incident.id)[incident.id]
    spans = phase_spans(incident)
    pages, people = pages_for(uow, [incident.id])[incident.id]
    return IncidentMetrics(
        incident_id=incident.id,
        times=times,
        reopened=incident.reopened_at is not None,
        phases=[(span.phase, span.seconds(uow.now)) for span in spans],
        pages=pages,
        people_paged=people,
    )


def incident_metrics_batch(uow: UnitOfWork, incidents: list[Incident]) -> list[IncidentMetrics]:
    """:func:`incident_metrics` of many incidents in four queries."""
    ids = [i.id for i in incidents]
    times = times_for(uow, Incident.id.in_(ids)) if ids else {}
    pages = pages_for(uow, ids)
    return [
        IncidentMetrics(
            incident_id=i.id,
            times=times[i.id],
            reopened=i.reopened_at is not None,
            phases=[(s.phase, s.seconds(uow.now)) for s in phase_spans(i)],
            pages=pages[i.id][0],
            people_paged=pages[i.id][1],
        )
        for i in incidents
    ]
