"""Filtering the event log for the audit view, the API and the exports.

Every filter is optional and they combine with AND. Results come newest first, paged by
position (``before``); exports walk the other way, oldest first (``after``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import ApiToken
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.models import Event
from muster.errors import FieldError, InvalidInput

DOORS = tuple(v.value for v in Via)
MAX_TEXT = 200


@dataclass(frozen=True)
class AuditFilter:
    """``actor``: an actor id, or part of an actor's label (email, ``sso:<issuer>``,
    ``engine``); ``via``: the door; ``type_prefix``: e.g. ``service.`` or
    ``incident.note``; ``since``/``until``: occurred at or after / before."""

    actor: str | None = None
    via: str | None = None
    token_id: str | None = None
    ip: str | None = None
    type_prefix: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def params(self) -> dict[str, str]:
        """The filter as query parameters (for links to the next page and exports)."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {
            k: (v.isoformat() if isinstance(v, datetime) else str(v))
            for k, v in values.items()
            if v not in (None, "")
        }


def check_filter(f: AuditFilter) -> AuditFilter:
    """``f`` with text trimmed and blanks dropped; :class:`InvalidInput` naming the field
    for an unknown door, an over-long value, a naive time or an empty time range."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    for name in ("actor", "via", "token_id", "ip", "type_prefix", "subject_type", "subject_id"):
        value = getattr(f, name)
        value = value.strip() if isinstance(value, str) else None
        if value and len(value) > MAX_TEXT:
            errors.append(FieldError(name, f"at most {MAX_TEXT} characters"))
        cleaned[name] = value or None
    if cleaned["via"] and cleaned["via"] not in DOORS:
        errors.append(FieldError("via", f"not a door; one of {', '.join(DOORS)}"))
    for name in ("since", "until"):
        value = getattr(f, name)
        if value is not None and value.tzinfo is None:
            errors.append(FieldError(name, "give a time zone (e.g. 2026-01-05T09:00:00Z)"))
    if f.since and f.until and f.since.tzinfo and f.until.tzinfo and f.until <= f.since:
        errors.append(FieldError("until", "must be after since"))
    if errors:
        raise InvalidInput("please correct the filter", errors=errors)
    return replace(f, **cleaned)


def like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def filtered(f: AuditFilter) -> Select[Event]:
    """The events matching ``f`` (unordered); ``f`` must have passed :func:`check_filter`."""
    query = select(Event)
    if f.actor:
        label = "%" + like_prefix(f.actor.lower())
        query = query.where(
            or_(Event.actor_id == f.actor, func.lower(Event.actor_label).like(label, escape="\\"))
        )
    if f.via:
        query = query.where(Event.via == f.via)
    if f.token_id:
        query = query.where(Event.token_id == f.token_id)
    if f.ip:
        query = query.where(Event.ip == f.ip)
    if f.type_prefix:
        query = query.where(Event.type.like(like_prefix(f.type_prefix), escape="\\"))
    if f.subject_type:
        query = query.where(Event.subject_type == f.subject_type)
    if f.subject_id:
        query = query.where(Event.subject_id == f.subject_id)
    if f.since:
        query = query.where(Event.occurred_at >= f.since)
    if f.until:
        query = query.where(Event.occurred_at < f.until)
    return query


def search_events(
    uow: UnitOfWork, actor: Actor, f: AuditFilter, *, before: int | None = None, limit: int = 50
) -> Sequence[Event]:
    """The newest ``limit`` events matching ``f``, before position ``before``.

    Preconditions: admin; ``f`` checked by :func:`check_filter`."""
    require(actor, Role.ADMIN)
    query = filtered(f).order_by(Event.position.desc()).limit(limit)
    if before is not None:
        query = query.where(Event.position < before)
    return uow.session.scalars(query).all()


def events_after(uow: UnitOfWork, f: AuditFilter, after: int, limit: int) -> Sequence[Event]:
    """The oldest ``limit`` events matching ``f`` after position ``after`` (exports; the
    caller has checked the permission)."""
    query = filtered(f).where(Event.position > after).order_by(Event.position).limit(limit)
    return uow.session.scalars(query).all()


def token_names(uow: UnitOfWork, events: Sequence[Event]) -> dict[str, str]:
    """The names of the API tokens ``events`` were made with, by token id."""
    ids = {e.token_id for e in events if e.token_id}
    if not ids:
        return {}
    rows = uow.session.execute(select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(ids)))
    return {row.id: row.name for row in rows}


def door(event: Event, tokens: dict[str, str]) -> str:
    """How the actor came in, for people: ``api (token "deploy bot")``, ``ui``, ``sso``."""
    if event.token_id:
        name = tokens.get(event.token_id)
        return f'{event.via} (token "{name}")' if name else f"{event.via} (token {event.token_id})"
    return event.via
