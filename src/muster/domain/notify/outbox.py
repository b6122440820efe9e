"""Putting messages in the outbox: a page's steps, fall-through to the next method,
notices (codes, tests, announcements, alarms). Nothing here sends; see ``delivery``.

Each row's idempotency key is made of what it is for — the alert group, the escalation
step (escalation, level, loop and the request event), the person, the method and the
step of their rules — so queueing the same thing twice adds nothing, and the key a
provider sees is the same on every retry.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.events.actor import Actor, Via
from muster.domain.events.service import append_event
from muster.domain.notify.models import AnnouncementChannel, ContactMethod, OutboxMessage
from muster.domain.notify.plan import FALLBACK_ORDER, Step
from muster.ids import new_id

ENGINE = Actor.system(Via.ENGINE, label="engine")
_PENDING = "outbox.pending"
MAX_ATTEMPTS = {"page": 4, "verify": 3, "test": 3, "announce": 4, "health": 4}
MAX_ATTEMPTS["webhook"] = 8  # incident webhook deliveries (notify/incident_webhooks.py)
MAX_ATTEMPTS["incident"] = 4  # incident pages and notices (notify/incident_notices.py)
MAX_ATTEMPTS["drill"] = 4  # drill messages to participants (domain/drills/fire.py)


def idempotency_key(*parts: object) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"mst-{digest[:40]}"


def row_values(
    uow: UnitOfWork, *, purpose: str, key: str, method_type: str, address: str, due: datetime,
    step: str, payload: dict[str, Any] | None = None, **links: Any,
) -> dict[str, Any]:  # fmt: skip
    """Every column of a new outbox row (bulk inserts skip the ORM's defaults)."""
    values: dict[str, Any] = {
        "id": new_id(), "idempotency_key": key, "purpose": purpose, "status": "queued",
        "user_id": None, "contact_method_id": None, "channel_id": None,
        "method_type": method_type, "address": address, "group_id": None,
        "escalation_id": None, "request_event_id": None, "level": None, "loop": None,
        "urgency": None, "step": step[:40], "payload": payload or {}, "attempts": 0,
        "max_attempts": MAX_ATTEMPTS[purpose], "next_attempt_at": due, "claimed_until": None,
        "claim_id": None, "bundle_id": None, "last_error": None, "provider_message_id": None,
        "created_at": uow.now, "updated_at": uow.now, "sent_at": None,
    }  # fmt: skip
    values.update(links)
    return values


def insert_rows(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows at the unit of work's next flush (before any query), together
    with the others queued meanwhile; a row whose idempotency key exists is left out."""
    if not rows:
        return
    pending: list[dict[str, Any]] | None = uow.memo.get(_PENDING)
    if pending is None:
        pending = uow.memo[_PENDING] = []
    if not pending:
        uow.defer(_PENDING, lambda: _write(uow, pending))
    pending.extend(rows)


def _write(uow: UnitOfWork, pending: list[dict[str, Any]]) -> None:
    rows, pending[:] = list(pending), []
    if rows:
        insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
        stmt = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["idempotency_key"])
        uow.session.connection().execute(stmt, rows)


def page_rows(
    uow: UnitOfWork, request: dict[str, Any], methods: dict[str, ContactMethod], steps: list[Step]
) -> list[dict[str, Any]]:
    """The rows of one page: a step of the person's rules each, due after its delay."""
    from datetime import timedelta

    rows = []
    for step in steps:
        method = methods[step.method_id]
        key = idempotency_key("page", request["group_id"], request.get("escalation_id"),
                              request.get("level"), request.get("loop"), request["event_id"],
                              request["user_id"], method.id, step.delay_minutes)  # fmt: skip
        rows.append(row_values(
            uow, purpose="page", key=key, method_type=method.type, address=method.address,
            due=uow.now + timedelta(minutes=step.delay_minutes), step=step.name,
            user_id=request["user_id"], contact_method_id=method.id, group_id=request["group_id"],
            escalation_id=request.get("escalation_id"), request_event_id=request["event_id"],
            level=request.get("level"), loop=request.get("loop"), urgency=request["urgency"],
        ))  # fmt: skip
    return rows


def cancel_group_pages(uow: UnitOfWork, group_id: str, why: str) -> int:
    """Cancel the group's pages not yet sent (its delayed steps)."""
    result = uow.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.group_id == group_id,
            OutboxMessage.status == "queued",
            OutboxMessage.purpose == "page",
        )
        .values(status="cancelled", last_error=why, updated_at=uow.now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def queue_notice(
    uow: UnitOfWork, method: ContactMethod, purpose: str, key: str, *, subject: str, text: str,
    extra: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """Queue a message that is not a page to one person's method, due now."""
    payload = {"subject": subject, "text": text, **(extra or {})}
    insert_rows(uow, [row_values(
        uow, purpose=purpose, key=idempotency_key(key), method_type=method.type,
        address=method.address, due=uow.now, step=purpose, payload=payload,
        user_id=method.user_id, contact_method_id=method.id,
    )])  # fmt: skip


def queue_announcement(
    uow: UnitOfWork, channel: AnnouncementChannel, key: str, subject: str, text: str,
    group_id: str | None, *, incident_id: str | None = None,
) -> None:  # fmt: skip
    """``incident_id`` names the incident it is about (marks, cleanup of exercises)."""
    payload = {"subject": subject, "text": text}
    if incident_id is not None:
        payload["incident_id"] = incident_id
    insert_rows(uow, [row_values(
        uow, purpose="announce", key=idempotency_key("announce", channel.id, key),
        method_type=channel.type, address=channel.address, due=uow.now, step="announce",
        payload=payload, channel_id=channel.id, group_id=group_id,
    )])  # fmt: skip


def fall_through(uow: UnitOfWork, row: OutboxMessage) -> str | None:
    """After ``row`` (a page) failed for good: reach the person another way at once.

    Brings the next step of the same page on another method forward to now; if there is
    none, queues the first verified method not yet tried for this page. Returns the type
    of method that goes next, or None when nothing is left to try.
    """
    group = uow.session.get(AlertGroup, row.group_id) if row.group_id else None
    if group is None or group.status != "triggered" or row.user_id is None:
        return None
    same_page = (
        OutboxMessage.request_event_id == row.request_event_id,
        OutboxMessage.user_id == row.user_id,
        OutboxMessage.purpose == "page",
    )
    tried = uow.session.scalars(
        select(OutboxMessage).where(*same_page).order_by(OutboxMessage.next_attempt_at)
    ).all()
    for later in tried:
        if later.status == "queued" and later.contact_method_id != row.contact_method_id:
            later.next_attempt_at = min(later.next_attempt_at, uow.now)
            later.updated_at = uow.now
            return later.method_type
    used = {r.contact_method_id for r in tried}
    candidates = [
        m
        for m in uow.session.scalars(
            select(ContactMethod).where(
                ContactMethod.user_id == row.user_id,
                ContactMethod.removed_at.is_(None),
                ContactMethod.verified_at.is_not(None),
            )
        )
        if m.id not in used
    ]
    if not candidates:
        return None
    order = {t: i for i, t in enumerate(FALLBACK_ORDER)}
    method = min(candidates, key=lambda m: (order.get(m.type, 99), m.created_at))
    insert_rows(uow, [row_values(
        uow, purpose="page", key=idempotency_key("fallback", row.idempotency_key, method.id),
        method_type=method.type, address=method.address, due=uow.now,
        step=f"fallback after {row.method_type}", user_id=row.user_id,
        contact_method_id=method.id, group_id=row.group_id, escalation_id=row.escalation_id,
        request_event_id=row.request_event_id, level=row.level, loop=row.loop, urgency=row.urgency,
    )])  # fmt: skip
    return method.type


def timeline(uow: UnitOfWork, type: str, row: OutboxMessage, **data: Any) -> None:
    """One event about ``row``: on its alert group's timeline for a page, else on the
    person's (codes, tests, alarms) or the channel owner's (announcements)."""
    if row.group_id and row.purpose == "page":
        subject_type, subject_id = "alert_group", row.group_id
    elif row.user_id:
        subject_type, subject_id = "user", row.user_id
    else:
        channel = uow.session.get(AnnouncementChannel, row.channel_id) if row.channel_id else None
        if channel is None:
            return
        subject_type, subject_id = channel.owner_type, channel.owner_id
    base = {"outbox_id": row.id, "purpose": row.purpose, "method_type": row.method_type,
            "user_id": row.user_id, "attempt": row.attempts, "step": row.step}  # fmt: skip
    # One chain per recipient: recording a bundle of 50 pages locks one stream head.
    stream = f"notifications:{row.user_id or row.channel_id}"
    append_event(uow, ENGINE, type, subject_type=subject_type, subject_id=subject_id,
                 data={**base, **data}, stream=stream)  # fmt: skip
