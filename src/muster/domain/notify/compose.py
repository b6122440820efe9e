"""Turning claimed outbox rows into the one message a channel sends (inside the claim's
short transaction: it reads the groups and stores the one-click tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.exercises.marking import mark_outgoing, message_run
from muster.domain.notify.incident_webhooks import PURPOSE as INCIDENT_WEBHOOK
from muster.domain.notify.incident_webhooks import message as incident_webhook_message
from muster.domain.notify.jobs import Options, Outgoing
from muster.domain.notify.messages import (
    REPLY_HINT,
    GroupView,
    Links,
    Rendered,
    render_notice,
    render_page,
)  # fmt: skip
from muster.domain.notify.models import AnnouncementChannel, ContactMethod, OutboxMessage
from muster.domain.notify.outbox import idempotency_key
from muster.domain.notify.replies import reply_address
from muster.domain.notify.tokens import mint

MAX_LINKED_GROUPS = 20  # a bundle of more groups links to each, without one-click actions


def compose(uow: UnitOfWork, opts: Options, rows: list[OutboxMessage], now: datetime) -> Outgoing:
    """The message, marked EXERCISE when it is about a drill (muster.domain.exercises)."""
    return mark_outgoing(_compose(uow, opts, rows, now), message_run(uow, rows))


def _compose(uow: UnitOfWork, opts: Options, rows: list[OutboxMessage], now: datetime) -> Outgoing:
    carrier = rows[0]
    if carrier.purpose == INCIDENT_WEBHOOK:
        return incident_webhook_message(uow, opts, carrier)
    secret = None
    if carrier.contact_method_id:
        method = uow.session.get(ContactMethod, carrier.contact_method_id)
        secret = method.secret if method else None
    elif carrier.channel_id:
        channel = uow.session.get(AnnouncementChannel, carrier.channel_id)
        secret = channel.secret if channel else None
    reply_to = None
    if carrier.purpose == "page":
        rendered, reply_to = _page(uow, opts, rows, now)
    else:
        rendered = _notice(opts, carrier)
    text = rendered.text + (f"\n\n{REPLY_HINT}" if reply_to else "")
    key = message_key(rows)
    return Outgoing(
        method_type=carrier.method_type, address=carrier.address, subject=rendered.subject,
        text=text, html=rendered.html, short=rendered.short, voice=rendered.voice,
        data={**rendered.data, "idempotency_key": key},
        idempotency_key=key, reply_to=reply_to, secret=secret,
    )  # fmt: skip


def message_key(rows: list[OutboxMessage]) -> str:
    """The message's idempotency key: the row's own for one row; for a bundle, one made of
    every row's key, so the same bundle sent again (a lease ran out) keeps its key and a
    receiver drops the copy, while a bundle re-formed with more pages gets a new key and
    is never dropped as a copy of the smaller one."""
    if len(rows) == 1:
        return rows[0].idempotency_key
    return idempotency_key("bundle", *sorted(r.idempotency_key for r in rows))


def _page(
    uow: UnitOfWork, opts: Options, rows: list[OutboxMessage], now: datetime
) -> tuple[Rendered, str | None]:
    ids = list(dict.fromkeys(r.group_id for r in rows if r.group_id))
    found = uow.session.execute(
        select(AlertGroup, Service.name)
        .join(Service, Service.id == AlertGroup.service_id)
        .where(AlertGroup.id.in_(ids))
    ).all()
    groups = [
        GroupView(g.id, name, g.severity, g.summary, g.status, g.alert_count, g.first_seen)
        for g, name in found
    ]
    user_id = rows[0].user_id or ""
    pages = {g.id: f"{opts.base_url}/alert-groups/{g.id}" for g in groups}
    ack = resolve = reply_to = None
    if user_id and len(groups) <= MAX_LINKED_GROUPS:

        def link(purpose: str) -> str:
            token = mint(uow, opts.secret_key, purpose, [g.id for g in groups], user_id,
                         rows[0].id, opts.link_ttl)  # fmt: skip
            return f"{opts.base_url}/act/{token}"

        ack, resolve = link("ack"), link("resolve")
        if rows[0].method_type == "email":
            token = mint(uow, opts.secret_key, "reply", [g.id for g in groups], user_id,
                         rows[0].id, opts.link_ttl)  # fmt: skip
            reply_to = reply_address(token, opts.email_domain)
    return render_page(groups, Links(pages, ack, resolve), now), reply_to


def _notice(opts: Options, row: OutboxMessage) -> Rendered:
    payload = row.payload or {}
    subject = str(payload.get("subject", "Muster"))
    text = str(payload.get("text", ""))
    if row.group_id:
        text += f" {opts.base_url}/alert-groups/{row.group_id}"
    elif isinstance(payload.get("path"), str) and str(payload["path"]).startswith("/"):
        text += f" {opts.base_url}{payload['path']}"  # e.g. /incidents/<id>
    extra = {"code": payload["code"]} if "code" in payload else None
    return render_notice(subject, text, row.purpose, extra)
