"""Retention policies: how many days each kind of record is kept once it has ended.

Kinds (the day count runs from the moment named):

- ``alerts``: resolved alerts, from their resolution; their groups go with the last
  alert. An alert whose group is linked to an incident lives as long as the incident.
- ``raw_payloads``: the raw payload an alert arrived with (``Alert.raw``), from the
  alert's last sighting; set it shorter than ``alerts`` to keep alerts but not payloads.
- ``incidents``: resolved, closed, declined or merged incidents, from that moment;
  removed whole (tasks, notes, evidence, messages about them ...), their timelines and
  custody logs pruned and sealed by a checkpoint.
- ``notifications``: sent, failed or cancelled outbox rows (who was told what), from
  their creation.
- ``evidence``: the stored bytes of closed incidents' evidence and attachments and the
  bodies of their messages, from the close (:mod:`muster.domain.compliance.retention`).

0 keeps a kind forever. Without a policy row a kind uses its default: for ``evidence``
the ``MUSTER_RETENTION_DAYS`` setting, for the others forever. An incident on legal hold
keeps everything of it, whatever the policies say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.retention.models import RetentionPolicy
from muster.errors import FieldError, InvalidInput

KINDS: dict[str, str] = {
    "alerts": "Resolved alerts (and their empty groups), after resolution",
    "raw_payloads": "Raw alert payloads, after the alert was last seen",
    "incidents": "Resolved, closed, declined or merged incidents, removed whole",
    "notifications": "Finished outbox messages (sent, failed, cancelled), after creation",
    "evidence": "Evidence and attachment bytes and message bodies of closed incidents",
}
MAX_DAYS = 36_500
STREAM = "retention"


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(ge=0, le=MAX_DAYS, description="Days kept; 0 keeps forever")


class PolicyOut(BaseModel):
    kind: str
    description: str
    days: int
    source: str  # policy | setting | default
    updated_at: datetime | None
    updated_by: str | None


@dataclass(frozen=True)
class Policies:
    """The effective days per kind (0: kept forever)."""

    days: dict[str, int]

    def of(self, kind: str) -> int:
        return self.days.get(kind, 0)

    @property
    def active(self) -> bool:
        return any(d > 0 for d in self.days.values())


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(
            f"unknown retention kind {kind!r}",
            errors=[FieldError("kind", f"one of {', '.join(KINDS)}")],
        )
    return kind


def list_policies(uow: UnitOfWork, *, evidence_default: int) -> list[PolicyOut]:
    """Every kind with its effective days and where they come from."""
    rows = {p.kind: p for p in uow.session.scalars(select(RetentionPolicy))}
    out = []
    for kind, description in KINDS.items():
        row = rows.get(kind)
        if row is not None:
            days, source = row.days, "policy"
        elif kind == "evidence" and evidence_default > 0:
            days, source = evidence_default, "setting"
        else:
            days, source = 0, "default"
        out.append(PolicyOut(
            kind=kind, description=description, days=days, source=source,
            updated_at=row.updated_at if row else None, updated_by=row.updated_by if row else None,
        ))  # fmt: skip
    return out


def effective_policies(uow: UnitOfWork, *, evidence_default: int) -> Policies:
    return Policies({p.kind: p.days for p in list_policies(uow, evidence_default=evidence_default)})


def do_set_policy(uow: UnitOfWork, actor: Actor, kind: str, data: PolicyIn) -> RetentionPolicy:
    """Set ``kind``'s days (``retention.policy_set``, with before/after). Preconditions:
    admin; a known kind (422 naming ``kind``)."""
    require(actor, Role.ADMIN)
    check_kind(kind)
    row = uow.session.get(RetentionPolicy, kind)
    before = row.days if row is not None else None
    if row is None:
        row = RetentionPolicy(kind=kind, days=data.days, updated_at=uow.now, updated_by=actor.label)
        uow.session.add(row)
    else:
        row.days, row.updated_at, row.updated_by = data.days, uow.now, actor.label
    append_event(uow, actor, "retention.policy_set", subject_type="retention_policy",
                 subject_id=kind, stream=STREAM,
                 data={"kind": kind, "days": data.days, "changes": {"days": [before, data.days]}})  # fmt: skip
    return row


def do_reset_policy(uow: UnitOfWork, actor: Actor, kind: str) -> bool:
    """Drop ``kind``'s policy so its default applies (``retention.policy_reset``); False
    when it had none. Preconditions: admin; a known kind."""
    require(actor, Role.ADMIN)
    check_kind(kind)
    row = uow.session.get(RetentionPolicy, kind)
    if row is None:
        return False
    append_event(uow, actor, "retention.policy_reset", subject_type="retention_policy",
                 subject_id=kind, stream=STREAM,
                 data={"kind": kind, "changes": {"days": [row.days, None]}})  # fmt: skip
    uow.session.delete(row)
    return True
