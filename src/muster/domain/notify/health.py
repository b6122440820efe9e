"""Muster's own health as a sender: when deliveries through one kind of channel (email,
SMS, ...) have failed for 5 minutes with no success, the admins are told through their
other kinds of contact method, once, and the home page shows a banner until a delivery
through that kind succeeds again.

Only failures that say the channel is in trouble count (timeouts, refused connections,
5xx); a permanent failure for one address (a bad number, a 4xx) does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from muster.db.uow import UnitOfWork
from muster.db.upsert import insert_ignore
from muster.domain.accounts.models import User
from muster.domain.events.service import append_event
from muster.domain.notify.models import ChannelHealth, ContactMethod
from muster.domain.notify.outbox import ENGINE, queue_notice

DOWN_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class ChannelProblem:
    method_type: str
    failing_since: datetime
    last_error: str | None


def note_outcome(uow: UnitOfWork, method_type: str, *, ok: bool, error: str | None) -> None:
    """Record one delivery through ``method_type`` (a channel-level failure when not ok)."""
    insert_ignore(uow.session, ChannelHealth, {"method_type": method_type, "failures": 0})
    row = uow.session.get_one(ChannelHealth, method_type, populate_existing=True)
    if ok:
        if row.admins_told_at is not None:
            append_event(uow, ENGINE, "notification.channel_recovered", subject_type="channel",
                         subject_id=method_type,
                         data={"failing_since": row.failing_since, "failures": row.failures})  # fmt: skip
        row.failing_since = row.admins_told_at = None
        row.failures = 0
        row.last_success_at = uow.now
        return
    row.failures += 1
    row.last_failure_at = uow.now
    row.last_error = (error or "")[:1000]
    if row.failing_since is None:
        row.failing_since = uow.now


def _untold(now: datetime) -> Select[ChannelHealth]:
    return select(ChannelHealth).where(
        ChannelHealth.failing_since <= now - DOWN_AFTER, ChannelHealth.admins_told_at.is_(None)
    )


def admins_to_tell(uow: UnitOfWork, now: datetime) -> bool:
    """Whether :func:`tell_admins` has a channel to tell the admins about."""
    return uow.session.scalar(_untold(now).limit(1)) is not None


def tell_admins(uow: UnitOfWork, now: datetime) -> int:
    """Queue an alarm to every admin for each channel down 5 minutes and not yet told."""
    down = uow.session.scalars(_untold(now)).all()
    for row in down:
        assert row.failing_since is not None
        text = (
            f"Muster cannot deliver {row.method_type} messages: every attempt since "
            f"{row.failing_since:%H:%M} UTC failed ({(row.last_error or 'no detail')[:200]}). "
            "Pages through it are falling back to other methods. Check the provider settings."
        )
        admins = uow.session.scalars(
            select(User.id).where(User.role == "admin", User.archived_at.is_(None))
        ).all()
        methods = uow.session.scalars(
            select(ContactMethod).where(
                ContactMethod.user_id.in_(admins), ContactMethod.removed_at.is_(None),
                ContactMethod.verified_at.is_not(None), ContactMethod.type != row.method_type,
            )
        ).all()  # fmt: skip
        for method in methods:
            key = f"health|{row.method_type}|{row.failing_since.isoformat()}|{method.id}"
            queue_notice(uow, method, "health", key,
                         subject=f"Muster: {row.method_type} delivery is failing", text=text)  # fmt: skip
        row.admins_told_at = now
        append_event(uow, ENGINE, "notification.channel_down", subject_type="channel",
                     subject_id=row.method_type,
                     data={"failing_since": row.failing_since, "last_error": row.last_error,
                           "admins_told": len({m.user_id for m in methods})})  # fmt: skip
    return len(down)


def channel_problems(uow: UnitOfWork, now: datetime) -> Sequence[ChannelProblem]:
    """The channels failing for 5 minutes or more: for the home page's banner."""
    rows = uow.session.scalars(
        select(ChannelHealth)
        .where(ChannelHealth.failing_since <= now - DOWN_AFTER)
        .order_by(ChannelHealth.method_type)
    ).all()
    return [
        ChannelProblem(r.method_type, r.failing_since, r.last_error)
        for r in rows
        if r.failing_since
    ]
