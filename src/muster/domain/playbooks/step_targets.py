"""Who a playbook step names: a person (email or id), a schedule or an escalation
policy (name or id), resolved to people at the moment the step runs. Each lookup fails
with :class:`InvalidInput` naming the step's field and what was not found."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.targets import first_level_reached
from muster.domain.incidents.models import Incident
from muster.domain.oncall.load import on_call
from muster.domain.oncall.models import Schedule
from muster.errors import FieldError, InvalidInput


def _missing(field: str, what: str) -> InvalidInput:
    return InvalidInput(what, errors=[FieldError(field, what)])


def find_user(uow: UnitOfWork, ref: str, *, field: str = "user") -> User:
    """The active person whose id or email (any case) is ``ref``."""
    user = uow.session.scalar(
        select(User).where(or_(User.id == ref, func.lower(User.email) == ref.lower()))
    )
    if user is None or user.archived_at is not None:
        raise _missing(field, f"no active person {ref!r}")
    return user


def declarer_of(uow: UnitOfWork, incident: Incident) -> User | None:
    """The person who declared ``incident`` (None: declared by the system or an
    integration, or since archived)."""
    user = uow.session.scalar(
        select(User).where(func.lower(User.email) == incident.declared_by.lower())
    )
    return user if user is not None and user.archived_at is None else None


def find_schedule(uow: UnitOfWork, ref: str, *, field: str = "schedule") -> Schedule:
    schedule = uow.session.scalar(
        select(Schedule).where(or_(Schedule.id == ref, Schedule.name == ref))
    )
    if schedule is None:
        raise _missing(field, f"no schedule {ref!r}")
    return schedule


def on_call_user(uow: UnitOfWork, ref: str, now: datetime, *, field: str = "schedule") -> str:
    """The id of whoever is on call on the schedule ``ref`` at ``now``."""
    schedule = find_schedule(uow, ref, field=field)
    turn = on_call(uow, schedule.id, now)
    if turn is None:
        raise _missing(field, f"nobody is on call on {schedule.name} now")
    return turn.user_id


def policy_first_reached(uow: UnitOfWork, ref: str, now: datetime, *, field: str = "ref") -> list[str]:  # fmt: skip
    """The people the first level of the escalation policy ``ref`` that reaches anyone
    reaches at ``now`` (a level reaching nobody is passed over, as escalation does)."""
    policy = uow.session.scalar(
        select(EscalationPolicy).where(
            or_(EscalationPolicy.id == ref, EscalationPolicy.name == ref)
        )
    )
    if policy is None or policy.archived_at is not None:
        raise _missing(field, f"no escalation policy {ref!r}")
    reached = first_level_reached(uow, policy.id, now).user_ids
    if not reached:
        raise _missing(field, f"no level of {policy.name} reaches anyone now")
    return reached
