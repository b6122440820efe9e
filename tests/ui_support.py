"""Helpers for the UI tests: signing in as someone, and reading what was recorded."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import Person, sign_in
from muster.db.uow import Database
from muster.domain.events.models import Event


def as_person(client: TestClient, person: Person) -> str:
    """Sign ``person`` in through the login form; returns the CSRF token."""
    return sign_in(client, person.email, person.password)


def count(db: Database, model: Any, *where: Any) -> int:
    with db.unit_of_work(readonly=True) as uow:
        query = select(func.count()).select_from(model)
        if where:
            query = query.where(*where)
        return int(uow.session.scalar(query) or 0)


def events_of_type(db: Database, type_: str) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            select(Event).where(Event.type == type_).order_by(Event.position)
        ).all()
        uow.session.expunge_all()  # keep the loaded values after the session ends
        return list(rows)


def last_event(db: Database, type_: str) -> Event:
    rows = events_of_type(db, type_)
    assert rows, f"no {type_} event was recorded"
    return rows[-1]


def id_from_location(location: str, prefix: str) -> str:
    match = re.fullmatch(rf"{re.escape(prefix)}([0-9a-f-]{{36}})", location)
    assert match, f"{location!r} is not a {prefix}<id> URL"
    return match.group(1)


def field_has_error(html: str, field_id: str) -> bool:
    """The input/select/textarea with ``id`` is marked invalid and has its message."""
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no field with id {field_id!r}"
    return 'aria-invalid="true"' in tag.group(0) and f'id="{field_id}-error"' in html


def field_value(html: str, field_id: str) -> str | None:
    tag = re.search(rf'<input[^>]*id="{re.escape(field_id)}"[^>]*>', html)
    assert tag, f"no input with id {field_id!r}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else None
