"""What the incident pages share: the choices of their selects, role holders of a page of
incidents in one query, reading a local date-time field in the viewer's zone, and the
incident of an alert group (for the group page's "Incident" card)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.alerts.models import AlertGroup
from muster.domain.incidents.links import incident_of_group
from muster.domain.incidents.models import Incident
from muster.domain.incidents.visibility import can_see
from muster.domain.oncall.models import Schedule
from muster.errors import FieldError, InvalidInput
from muster.web.auth import Caller

# Alert severity → the incident severity a "Declare incident" from that group suggests.
SEVERITY_FROM_ALERT = {"critical": "2", "error": "3", "warning": "4", "info": "5"}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def people_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(id, "Name (email)") of every active person, by name."""
    rows = uow.session.execute(
        select(User.id, User.name, User.email)
        .where(User.archived_at.is_(None))
        .order_by(func.lower(User.name), User.id)
    ).all()
    return [(r.id, f"{r.name} ({r.email})") for r in rows]


def person_options(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(email, name) of every active person, by name: the one ``<datalist>`` an incident
    page's person fields share (a select per role and task repeated the whole list)."""
    rows = uow.session.execute(
        select(User.email, User.name)
        .where(User.archived_at.is_(None))
        .order_by(func.lower(User.name), User.id)
    ).all()
    return [(r.email, r.name) for r in rows]


_EMAIL_IN_PARENS = re.compile(r"\(([^()\s]+@[^()\s]+)\)\s*$")


def person_id(uow: UnitOfWork, value: str) -> str:
    """The id of the person a person field names: their id, their email (what the shared
    datalist offers) or "Name (email)". Anything else is passed on unchanged, for the
    command to refuse as it refuses an unknown id."""
    value = value.strip()
    named = _EMAIL_IN_PARENS.search(value)
    email = named.group(1) if named else value
    if "@" not in email:
        return value
    found = uow.session.scalar(
        select(User.id).where(func.lower(User.email) == email.lower(), User.archived_at.is_(None))
    )
    return found or value


def schedule_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    rows = uow.session.execute(
        select(Schedule.id, Schedule.name).order_by(func.lower(Schedule.name))
    ).all()
    return [(r.id, r.name) for r in rows]


def local_input(value: datetime | None, caller: Caller) -> str:
    """A datetime as a ``datetime-local`` field's value in the viewer's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(caller.user.time_zone)).strftime(LOCAL_FORMAT)


def parse_local(text: str, caller: Caller, *, field: str) -> datetime | None:
    """A ``datetime-local`` value (the viewer's zone) as an aware datetime; blank → None."""
    text = text.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            "bad time", errors=[FieldError(field, "not a date and time (YYYY-MM-DDTHH:MM)")]
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(caller.user.time_zone))
    return parsed


def split_list(text: str) -> list[str]:
    """Comma- or newline-separated words of a text field, blanks dropped."""
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def group_incident(group: AlertGroup, caller: Caller | None) -> Incident | None:
    """For the alert group page's template: the incident the group is linked to, if the
    viewer may see it (read in the page's own unit of work)."""
    session = object_session(group)
    uow = next(
        (v for v in (session.info.values() if session else ()) if isinstance(v, UnitOfWork)), None
    )
    if uow is None or caller is None:
        return None
    incident = incident_of_group(uow, group.id)
    if incident is None or not can_see(uow, caller.actor, incident):
        return None
    return incident
