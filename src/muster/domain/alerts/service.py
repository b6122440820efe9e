"""Queries on alerts, and what people do to them (acknowledge, resolve, in bulk)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from muster.db.pagination import Page, decode_cursor, encode_cursor
from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.alerts import search
from muster.domain.alerts.lifecycle import do_acknowledge, do_resolve
from muster.domain.alerts.models import SEVERITY_RANK, Alert, AlertGroup
from muster.domain.events.actor import Actor, Role
from muster.errors import FieldError, InvalidInput, NotFound

MAX_PAGE = 500
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class AlertFilter:
    service_id: str | None = None
    status: Sequence[str] = ()
    severity: Sequence[str] = ()
    text: str | None = None
    group_id: str | None = None
    suppressed: bool | None = None
    site_id: str | None = None


def _filtered(query: Select[*Ts], f: AlertFilter) -> Select[*Ts]:
    if f.service_id:
        query = query.where(Alert.service_id == f.service_id)
    if f.status:
        query = query.where(Alert.status.in_(list(f.status)))
    if f.severity:
        query = query.where(Alert.severity.in_(list(f.severity)))
    if f.group_id:
        query = query.where(Alert.group_id == f.group_id)
    if f.site_id:
        query = query.where(Alert.site_id == f.site_id)
    if f.suppressed is not None:
        query = query.where(
            Alert.suppressed_reason.is_not(None)
            if f.suppressed
            else Alert.suppressed_reason.is_(None)
        )
    if f.text:
        query = query.where(search.matches(f.text))
    return query


def list_alerts(
    uow: UnitOfWork, f: AlertFilter, *, cursor: str | None = None, limit: int = 100
) -> Page[Alert]:
    """Newest first (by last seen)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            "limit out of range", errors=[FieldError("limit", f"must be 1 to {MAX_PAGE}")]
        )
    # Keys first, rows second: sorting (last_seen, id) pairs, often straight from an index,
    # is far cheaper than sorting whole rows (payloads included) to keep a hundred.
    query = _filtered(select(Alert.id, Alert.last_seen), f)
    narrowed = search.narrowed(uow, f.text) if f.text else None
    if narrowed is not None:  # few alerts hold the text: only those are read
        query = query.where(narrowed)
    if cursor:
        seen, alert_id = decode_cursor(cursor)
        try:
            at = datetime.fromisoformat(str(seen))
        except ValueError:
            raise InvalidInput(
                "bad cursor", errors=[FieldError("cursor", "not a cursor this API gave")]
            ) from None
        query = query.where(
            or_(Alert.last_seen < at, (Alert.last_seen == at) & (Alert.id < str(alert_id)))
        )
    keys = uow.session.execute(
        query.order_by(Alert.last_seen.desc(), Alert.id.desc()).limit(limit + 1)
    ).all()
    ids = [k.id for k in keys[:limit]]
    loaded = {
        a.id: a
        for a in uow.session.scalars(
            select(Alert).options(joinedload(Alert.service)).where(Alert.id.in_(ids))
        )
    }
    items = [loaded[i] for i in ids]
    next_cursor = (
        encode_cursor([items[-1].last_seen.isoformat(), items[-1].id])
        if len(keys) > limit
        else None
    )
    return Page(items=items, next_cursor=next_cursor)


def get_alert(uow: UnitOfWork, alert_id: str) -> Alert:
    alert = uow.session.get(
        Alert, alert_id, options=[joinedload(Alert.service), joinedload(Alert.alert_group)]
    )
    if alert is None:
        raise NotFound("no such alert")
    return alert


def get_group(uow: UnitOfWork, group_id: str) -> AlertGroup:
    group = uow.session.get(AlertGroup, group_id)
    if group is None:
        raise NotFound("no such alert group")
    return group


def do_acknowledge_alerts(uow: UnitOfWork, actor: Actor, alert_ids: Sequence[str]) -> list[Alert]:
    """Acknowledge each open alert among ``alert_ids`` (responder). Unknown ids: 404, nothing changes."""
    require(actor, Role.RESPONDER)
    alerts = _all(uow, alert_ids)
    for alert in alerts:
        do_acknowledge(uow, actor, alert)
    return alerts


def do_resolve_alerts(uow: UnitOfWork, actor: Actor, alert_ids: Sequence[str]) -> list[Alert]:
    """Resolve each open alert among ``alert_ids`` (responder). Unknown ids: 404, nothing changes."""
    require(actor, Role.RESPONDER)
    alerts = _all(uow, alert_ids)
    for alert in alerts:
        do_resolve(uow, actor, alert)
    return alerts


def do_acknowledge_group(uow: UnitOfWork, actor: Actor, group_id: str) -> AlertGroup:
    require(actor, Role.RESPONDER)
    group = get_group(uow, group_id)
    for alert in list(group.alerts):
        do_acknowledge(uow, actor, alert)
    return group


def do_resolve_group(uow: UnitOfWork, actor: Actor, group_id: str) -> AlertGroup:
    require(actor, Role.RESPONDER)
    group = get_group(uow, group_id)
    for alert in list(group.alerts):
        do_resolve(uow, actor, alert)
    return group


def _all(uow: UnitOfWork, alert_ids: Sequence[str]) -> list[Alert]:
    unique = list(dict.fromkeys(alert_ids))
    rows = {a.id: a for a in uow.session.scalars(select(Alert).where(Alert.id.in_(unique)))}
    missing = [i for i in unique if i not in rows]
    if missing:
        raise NotFound(f"no such alert: {', '.join(missing[:5])}")
    return [rows[i] for i in unique]


def severity_at_least(severity: str) -> list[str]:
    floor = SEVERITY_RANK.get(severity, 0)
    return [s for s, rank in SEVERITY_RANK.items() if rank >= floor]
