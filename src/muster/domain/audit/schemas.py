"""How audit events are shown through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from muster.db.uow import UnitOfWork
from muster.domain.audit.query import door, token_names
from muster.domain.audit.review import changes_of
from muster.domain.events.models import Event


class AuditEventOut(BaseModel):
    position: int = Field(description="the event's place in the whole log")
    id: str
    type: str
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    actor_label: str
    via: str = Field(description="the door: ui, api, cli, engine, system, ingest, sso")
    door: str = Field(description='the door for people, e.g. api (token "deploy bot")')
    token_id: str | None
    token_name: str | None
    ip: str | None
    subject_type: str
    subject_id: str
    changes: dict[str, list[Any]] | None = Field(
        description="configuration changes: {field: [before, after]}"
    )
    data: dict[str, Any]


def audit_event_out(e: Event, tokens: dict[str, str]) -> AuditEventOut:
    return AuditEventOut(
        position=e.position, id=e.id, type=e.type, occurred_at=e.occurred_at,
        actor_type=e.actor_type, actor_id=e.actor_id, actor_label=e.actor_label, via=e.via,
        door=door(e, tokens), token_id=e.token_id,
        token_name=tokens.get(e.token_id) if e.token_id else None, ip=e.ip,
        subject_type=e.subject_type, subject_id=e.subject_id, changes=changes_of(e.data),
        data=e.data,
    )  # fmt: skip


def audit_events_out(uow: UnitOfWork, events: list[Event]) -> list[AuditEventOut]:
    tokens = token_names(uow, events)
    return [audit_event_out(e, tokens) for e in events]
