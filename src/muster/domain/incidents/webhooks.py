"""Outgoing incident webhooks: an admin subscribes a URL to incident events, so other
tools can follow along. Deliveries are signed like notification webhooks (HMAC-SHA256
with the webhook's secret, see :mod:`muster.channels.webhook`); the secret is shown once,
when the webhook is created or its secret rotated.

Events of restricted incidents are sent only to webhooks with ``include_restricted``.
The engine module ``incident_webhooks`` reads the log and queues the deliveries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.accounts.schemas import Strict
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.incidents.models import IncidentWebhook
from muster.domain.notify.addresses import masked
from muster.domain.notify.service import new_secret
from muster.errors import FieldError, InvalidInput, NotFound

# Every event an incident's timeline carries (see the incidents contract).
INCIDENT_EVENT_TYPES = (
    "incident.declared", "incident.updated", "incident.status_changed", "incident.reopened",
    "incident.timestamp_corrected", "incident.participant_joined", "incident.participant_added",
    "incident.participant_left", "incident.role_assigned", "incident.role_handed_off",
    "incident.role_relinquished", "incident.alert_group_linked", "incident.alert_group_unlinked",
    "incident.note_added", "incident.note_corrected", "incident.key_event_marked",
    "incident.key_event_unmarked", "incident.attachment_added", "incident.task_created",
    "incident.task_updated", "incident.task_reminded", "incident.update_posted",
    "incident.update_due", "incident.commander_needed", "incident.merged", "incident.absorbed",
    "incident.split", "incident.subscribed", "incident.unsubscribed",
)  # fmt: skip
MAX_WEBHOOKS = 100

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
EventTypes = Annotated[list[str], Field(max_length=len(INCIDENT_EVENT_TYPES))]
# Why a URL may not be used (the outbound policy), or None when it may.
UrlCheck = Callable[[str], str | None]


class WebhookIn(Strict):
    name: Name
    url: Url = Field(description="http(s) URL that receives a signed JSON POST per event")
    event_types: EventTypes = Field(
        default_factory=list, description="incident event types to send; empty: every one"
    )
    include_restricted: bool = Field(
        default=False, description="also send events of restricted (need-to-know) incidents"
    )


class WebhookUpdate(Strict):
    """Only the fields given change."""

    name: Name | None = None
    url: Url | None = None
    event_types: EventTypes | None = None
    include_restricted: bool | None = None
    enabled: bool | None = None


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    url: str
    event_types: list[str]
    include_restricted: bool
    enabled: bool
    created_at: datetime
    created_by: str
    disabled_at: datetime | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="signs every delivery; shown only now")


def webhook_out(hook: IncidentWebhook) -> WebhookOut:
    return WebhookOut(
        id=hook.id, name=hook.name, url=hook.url, event_types=list(hook.event_types),
        include_restricted=hook.include_restricted, enabled=hook.disabled_at is None,
        created_at=hook.created_at, created_by=hook.created_by, disabled_at=hook.disabled_at,
    )  # fmt: skip


def wants(hook: IncidentWebhook, event_type: str, occurred_at: datetime, restricted: bool) -> bool:
    """Whether ``hook`` is sent an event: enabled, the event after its creation, of a
    type it asked for, and not of a restricted incident unless it includes those."""
    return (
        hook.disabled_at is None
        and occurred_at >= hook.created_at
        and (not hook.event_types or event_type in hook.event_types)
        and (hook.include_restricted or not restricted)
    )


def check_url(url: str, refusal: UrlCheck) -> str:
    """``url`` if it is an http(s) URL the outbound policy lets Muster reach."""
    parts = urlsplit(url)
    reason = None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        reason = "not an http(s) URL"
    elif parts.username or parts.password:
        reason = "must not carry a user name or password; the signature authenticates Muster"
    else:
        reason = refusal(url)
    if reason:
        raise InvalidInput("please correct the marked fields", errors=[FieldError("url", reason)])
    return url


def check_event_types(types: Sequence[str]) -> list[str]:
    bad = [
        FieldError(f"event_types.{i}", f"not an incident event type: {t!r}")
        for i, t in enumerate(types)
        if t not in INCIDENT_EVENT_TYPES
    ]
    if bad:
        raise InvalidInput("unknown event types", errors=bad)
    return list(dict.fromkeys(types))


def _event(uow: UnitOfWork, actor: Actor, kind: str, hook: IncidentWebhook, **data: object) -> None:
    append_event(uow, actor, kind, subject_type="incident_webhook", subject_id=hook.id,
                 data={"name": hook.name, "url": masked("webhook", hook.url), **data})  # fmt: skip


def do_create_webhook(
    uow: UnitOfWork, actor: Actor, data: WebhookIn, *, url_refusal: UrlCheck
) -> tuple[IncidentWebhook, str]:
    """Create a webhook; returns it and its secret (shown once).

    Preconditions: admin; the URL passes ``url_refusal`` (the outbound policy); the
    event types are incident event types; fewer than 100 webhooks exist."""
    require(actor, Role.ADMIN)
    url = check_url(data.url, url_refusal)
    types = check_event_types(data.event_types)
    if len(list_webhooks(uow, actor)) >= MAX_WEBHOOKS:
        raise InvalidInput(f"at most {MAX_WEBHOOKS} incident webhooks; remove one first")
    secret = new_secret()
    hook = IncidentWebhook(
        name=data.name, url=url, secret=secret, event_types=types,
        include_restricted=data.include_restricted, created_at=uow.now, created_by=actor.label,
    )  # fmt: skip
    uow.session.add(hook)
    uow.flush()
    _event(uow, actor, "incident_webhook.created", hook, event_types=types,
           include_restricted=hook.include_restricted)  # fmt: skip
    return hook, secret


def do_update_webhook(
    uow: UnitOfWork, actor: Actor, webhook_id: str, data: WebhookUpdate, *, url_refusal: UrlCheck
) -> IncidentWebhook:
    """Change the given fields (``enabled`` false pauses it: events meanwhile are not
    sent later). Preconditions: admin; as for creating."""
    require(actor, Role.ADMIN)
    hook = get_webhook(uow, actor, webhook_id)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != hook.name:
        changes["name"] = {"from": hook.name, "to": data.name}
        hook.name = data.name
    if data.url is not None and data.url != hook.url:
        hook.url = check_url(data.url, url_refusal)
        changes["url"] = True
    if data.event_types is not None:
        types = check_event_types(data.event_types)
        if types != list(hook.event_types):
            changes["event_types"] = {"from": list(hook.event_types), "to": types}
            hook.event_types = types
    if data.include_restricted is not None and data.include_restricted != hook.include_restricted:
        changes["include_restricted"] = data.include_restricted
        hook.include_restricted = data.include_restricted
    if data.enabled is not None and data.enabled != (hook.disabled_at is None):
        changes["enabled"] = data.enabled
        hook.disabled_at = None if data.enabled else uow.now
    if changes:
        _event(uow, actor, "incident_webhook.updated", hook, changes=changes)
    return hook


def do_rotate_secret(uow: UnitOfWork, actor: Actor, webhook_id: str) -> tuple[IncidentWebhook, str]:
    """A new secret (shown once); deliveries not yet sent are signed with it."""
    require(actor, Role.ADMIN)
    hook = get_webhook(uow, actor, webhook_id)
    secret = new_secret()
    hook.secret = secret
    _event(uow, actor, "incident_webhook.secret_rotated", hook)
    return hook, secret


def do_delete_webhook(uow: UnitOfWork, actor: Actor, webhook_id: str) -> None:
    """Remove it; its deliveries not yet sent are cancelled when they come due."""
    require(actor, Role.ADMIN)
    hook = get_webhook(uow, actor, webhook_id)
    _event(uow, actor, "incident_webhook.deleted", hook)
    uow.session.delete(hook)


def get_webhook(uow: UnitOfWork, actor: Actor, webhook_id: str) -> IncidentWebhook:
    require(actor, Role.ADMIN)
    hook = uow.session.get(IncidentWebhook, webhook_id)
    if hook is None:
        raise NotFound("no such incident webhook")
    return hook


def list_webhooks(uow: UnitOfWork, actor: Actor) -> Sequence[IncidentWebhook]:
    require(actor, Role.ADMIN)
    return uow.session.scalars(
        select(IncidentWebhook).order_by(IncidentWebhook.created_at, IncidentWebhook.id)
    ).all()


def active_webhooks(uow: UnitOfWork) -> Sequence[IncidentWebhook]:
    """The enabled webhooks (for the engine, which acts for no one)."""
    return uow.session.scalars(
        select(IncidentWebhook)
        .where(IncidentWebhook.disabled_at.is_(None))
        .order_by(IncidentWebhook.created_at, IncidentWebhook.id)
    ).all()
