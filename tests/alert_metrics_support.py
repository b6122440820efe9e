"""Constructed alert histories and delivered pages for the alert-noise and on-call health
metrics: rows written as intake and delivery leave them, at known times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.models import User
from muster.domain.accounts.schemas import MemberAdd
from muster.domain.accounts.service import do_add_team_member
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.notify.models import OutboxMessage
from muster.ids import new_id


def make_service(db: Database, team_id: str, name: str) -> str:
    with db.unit_of_work() as uow:
        service = do_create_service(uow, SYSTEM, ServiceCreate(name=name, team_id=team_id))
        uow.commit()
        return service.id


def add_member(db: Database, team_id: str, user_id: str, role: str = "member") -> None:
    with db.unit_of_work() as uow:
        do_add_team_member(uow, SYSTEM, team_id, MemberAdd(user_id=user_id, role=role))
        uow.commit()


def set_zone(db: Database, user_id: str, zone: str) -> None:
    with db.unit_of_work() as uow:
        uow.session.execute(update(User).where(User.id == user_id).values(time_zone=zone))
        uow.commit()


def add_alert(
    db: Database, service_id: str, at: datetime, *, key: str = "disk", status: str = "resolved",
    acked: datetime | None = None, suppressed: str | None = None, flapping: bool = False,
) -> str:  # fmt: skip
    """One alert (in a group of its own) first seen ``at``; returns its group's id."""
    group_id, alert_id = new_id(), new_id()
    resolved = at if status == "resolved" else None
    with db.unit_of_work() as uow:
        uow.session.add(AlertGroup(
            id=group_id, service_id=service_id, group_key="alert:" + alert_id, status=status,
            severity="error", summary=f"{key} alert", alert_count=1,
            pages=suppressed is None and not flapping, first_seen=at, last_seen=at,
            acknowledged_at=acked, resolved_at=resolved,
        ))  # fmt: skip
        uow.flush()
        uow.session.add(Alert(
            id=alert_id, service_id=service_id, group_id=group_id, dedup_key=key, status=status,
            severity="error", summary=f"{key} alert", labels={}, custom_details={}, links=[],
            images=[], first_seen=at, last_seen=at, acknowledged_at=acked, resolved_at=resolved,
            suppressed_reason=suppressed, flapping=flapping, raw={},
        ))  # fmt: skip
        uow.commit()
    return group_id


def add_page(
    db: Database, user_id: str, group_id: str, sent_at: datetime, *,
    methods: int = 1, status: str = "sent",
) -> None:  # fmt: skip
    """One paging request delivered to ``user_id`` through ``methods`` contact methods."""
    request = new_id()
    with db.unit_of_work() as uow:
        for n in range(methods):
            values: dict[str, Any] = {
                "id": new_id(), "idempotency_key": new_id(), "purpose": "page", "status": status,
                "user_id": user_id, "method_type": "email", "address": f"x{n}@example.com",
                "group_id": group_id, "request_event_id": request, "urgency": "high",
                "step": "email", "payload": {}, "max_attempts": 3, "next_attempt_at": sent_at,
                "created_at": sent_at, "updated_at": sent_at,
                "sent_at": sent_at if status == "sent" else None,
            }  # fmt: skip
            uow.session.add(OutboxMessage(**values))
        uow.commit()
