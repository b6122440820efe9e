"""Audit forwarders: an admin streams the whole event log to a SIEM, by signed webhook
(HMAC-SHA256 like incident webhooks, see :mod:`muster.channels.webhook`) or by syslog
(RFC 5424 over UDP, TCP with octet counting, or TLS).

A new forwarder starts at the end of the log (``from_start`` makes it send the whole
history first). The engine module ``audit_forwarding`` sends what follows, in order;
see :mod:`muster.domain.audit.forwarding` for how nothing is skipped.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.accounts.schemas import Strict
from muster.domain.audit import changes as change_log
from muster.domain.audit.models import AuditForwarder
from muster.domain.events.actor import Actor, Role
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.domain.incidents.webhooks import check_url
from muster.domain.notify.addresses import masked
from muster.domain.notify.service import new_secret
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

MAX_FORWARDERS = 20
Kind = Literal["webhook", "syslog"]
Transport = Literal["udp", "tcp", "tls"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Host = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=r"^\S+$")
]
Port = Annotated[int, Field(ge=1, le=65535)]
Pem = Annotated[str, StringConstraints(max_length=20000)]
Prefix = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Prefixes = Annotated[list[Prefix], Field(max_length=50)]
# Why a URL may not be used (the outbound policy), or None when it may.
UrlCheck = Callable[[str], str | None]


class ForwarderIn(Strict):
    name: Name
    kind: Kind
    url: Url | None = Field(None, description="webhook: the http(s) URL that receives batches")
    host: Host | None = Field(None, description="syslog: the collector's host")
    port: Port | None = Field(None, description="syslog: the collector's port")
    transport: Transport | None = Field(None, description="syslog: udp, tcp or tls")
    tls_ca_pem: Pem | None = Field(None, description="tls: the CA to trust (PEM); else system")
    type_prefixes: Prefixes = Field(
        default_factory=list, description="event types to send by prefix; empty: every one"
    )
    from_start: bool = Field(False, description="send the whole log first, not only new events")


class ForwarderUpdate(Strict):
    """Only the fields given change."""

    name: Name | None = None
    url: Url | None = None
    host: Host | None = None
    port: Port | None = None
    transport: Transport | None = None
    tls_ca_pem: Pem | None = None
    type_prefixes: Prefixes | None = None
    enabled: bool | None = None


class ForwarderOut(BaseModel):
    id: str
    name: str
    kind: str
    url: str | None
    host: str | None
    port: int | None
    transport: str | None
    custom_ca: bool
    type_prefixes: list[str]
    enabled: bool
    position: int = Field(description="every event up to this log position has been sent")
    behind: int = Field(description="events in the log after position (not all may match)")
    forwarded: int
    failures: int
    last_error: str | None
    last_forwarded_at: datetime | None
    retry_at: datetime | None
    created_at: datetime
    created_by: str


class ForwarderCreated(ForwarderOut):
    secret: str | None = Field(description="webhook: signs every batch; shown only now")


def log_end(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.max(Event.position))) or 0)


def forwarder_out(hook: AuditForwarder, end: int) -> ForwarderOut:
    return ForwarderOut(
        id=hook.id, name=hook.name, kind=hook.kind, url=hook.url, host=hook.host,
        port=hook.port, transport=hook.transport, custom_ca=bool(hook.tls_ca_pem),
        type_prefixes=list(hook.type_prefixes), enabled=hook.enabled, position=hook.position,
        behind=max(0, end - hook.position), forwarded=hook.forwarded, failures=hook.failures,
        last_error=hook.last_error, last_forwarded_at=hook.last_forwarded_at,
        retry_at=hook.retry_at, created_at=hook.created_at, created_by=hook.created_by,
    )  # fmt: skip


def destination(hook: AuditForwarder) -> str:
    """Where it sends, as shown in events (a webhook URL's path is left out)."""
    if hook.kind == "webhook":
        return masked("webhook", hook.url or "")
    return f"syslog+{hook.transport}://{hook.host}:{hook.port}"


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput("please correct the marked fields", errors=[FieldError(field, reason)])


def check_ca(pem: str | None) -> str | None:
    """``pem`` if it holds certificates Python can trust (None or blank: the system's)."""
    if pem is None or not pem.strip():
        return None
    try:
        ssl.create_default_context(cadata=pem.strip())
    except (ssl.SSLError, ValueError) as exc:
        raise _invalid("tls_ca_pem", f"not a PEM certificate: {exc}") from None
    return pem.strip()


def check_destination(hook: AuditForwarder, refusal: UrlCheck) -> None:
    """The fields ``hook.kind`` needs are there, and the outbound policy lets Muster
    reach the destination."""
    if hook.kind == "webhook":
        if not hook.url:
            raise _invalid("url", "a webhook forwarder needs a URL")
        check_url(hook.url, refusal)
        return
    for field in ("host", "port", "transport"):
        if getattr(hook, field) is None:
            raise _invalid(field, f"a syslog forwarder needs a {field}")
    host = f"[{hook.host}]" if ":" in (hook.host or "") else hook.host
    reason = refusal(f"http://{host}:{hook.port}/")
    if reason:
        raise _invalid("host", reason)


def _event(uow: UnitOfWork, actor: Actor, type_: str, hook: AuditForwarder, **data: Any) -> None:
    append_event(uow, actor, type_, subject_type="audit_forwarder", subject_id=hook.id,
                 data={"name": hook.name, "destination": destination(hook), **data})  # fmt: skip


def _name_free(uow: UnitOfWork, name: str, own_id: str | None = None) -> None:
    found = uow.session.scalar(select(AuditForwarder.id).where(AuditForwarder.name == name))
    if found is not None and found != own_id:
        raise Conflict(f"a forwarder named {name!r} exists", errors=[FieldError("name", "taken")])


def do_create_forwarder(
    uow: UnitOfWork, actor: Actor, data: ForwarderIn, *, url_refusal: UrlCheck
) -> tuple[AuditForwarder, str | None]:
    """Create a forwarder; returns it and, for a webhook, its signing secret (shown once).

    Preconditions: admin; the fields of its kind given and reachable under the outbound
    policy; a TLS CA that parses; a free name; fewer than 20 forwarders."""
    require(actor, Role.ADMIN)
    if len(list_forwarders(uow, actor)) >= MAX_FORWARDERS:
        raise InvalidInput(f"at most {MAX_FORWARDERS} audit forwarders; remove one first")
    _name_free(uow, data.name)
    webhook = data.kind == "webhook"
    hook = AuditForwarder(
        name=data.name, kind=data.kind, url=data.url if webhook else None,
        host=None if webhook else data.host, port=None if webhook else data.port,
        transport=None if webhook else data.transport,
        tls_ca_pem=None if webhook else check_ca(data.tls_ca_pem),
        secret=new_secret() if webhook else None,
        type_prefixes=list(dict.fromkeys(data.type_prefixes)),
        position=0 if data.from_start else log_end(uow), forwarded=0, failures=0,
        enabled=True, created_at=uow.now, created_by=actor.label,
    )  # fmt: skip
    check_destination(hook, url_refusal)
    uow.session.add(hook)
    uow.flush()
    _event(uow, actor, "audit_forwarder.created", hook, kind=hook.kind,
           type_prefixes=hook.type_prefixes, from_position=hook.position)  # fmt: skip
    return hook, hook.secret


def do_update_forwarder(
    uow: UnitOfWork, actor: Actor, forwarder_id: str, data: ForwarderUpdate, *,
    url_refusal: UrlCheck,
) -> AuditForwarder:  # fmt: skip
    """Change the given fields. Pausing (``enabled`` false) keeps the position: when
    enabled again it sends what happened meanwhile. Preconditions: as for creating."""
    require(actor, Role.ADMIN)
    hook = get_forwarder(uow, actor, forwarder_id)
    given = data.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in given:
        _name_free(uow, given["name"], hook.id)
    own = {"url"} if hook.kind == "webhook" else {"host", "port", "transport", "tls_ca_pem"}
    for field in ("url", "host", "port", "transport", "tls_ca_pem"):
        if field in given and field not in own:
            raise _invalid(field, f"a {hook.kind} forwarder has no {field}")
    if "tls_ca_pem" in given:
        given["tls_ca_pem"] = check_ca(given["tls_ca_pem"])
    if "type_prefixes" in given:
        given["type_prefixes"] = list(dict.fromkeys(given["type_prefixes"]))
    ca_changed = "tls_ca_pem" in given and given["tls_ca_pem"] != hook.tls_ca_pem
    changes = change_log.apply(hook, given)
    check_destination(hook, url_refusal)
    if "url" in changes:  # the full URL may carry a token: show where, not the path
        changes["url"] = [masked("webhook", str(changes["url"][0])), destination(hook)]
    if ca_changed:
        changes["tls_ca_pem"] = ["(previous CA)", "(new CA)"]
    if "enabled" in changes and hook.enabled:
        hook.retry_at, hook.failures = None, 0
    if changes:
        _event(uow, actor, "audit_forwarder.updated", hook, changes=changes)
    return hook


def do_rotate_forwarder_secret(
    uow: UnitOfWork, actor: Actor, forwarder_id: str
) -> tuple[AuditForwarder, str]:
    """A new signing secret for a webhook forwarder (shown once)."""
    require(actor, Role.ADMIN)
    hook = get_forwarder(uow, actor, forwarder_id)
    if hook.kind != "webhook":
        raise InvalidInput("only webhook forwarders sign with a secret")
    hook.secret = new_secret()
    _event(uow, actor, "audit_forwarder.secret_rotated", hook)
    return hook, hook.secret


def do_delete_forwarder(uow: UnitOfWork, actor: Actor, forwarder_id: str) -> None:
    require(actor, Role.ADMIN)
    hook = get_forwarder(uow, actor, forwarder_id)
    _event(uow, actor, "audit_forwarder.deleted", hook, position=hook.position)
    uow.session.delete(hook)


def get_forwarder(uow: UnitOfWork, actor: Actor, forwarder_id: str) -> AuditForwarder:
    require(actor, Role.ADMIN)
    hook = uow.session.get(AuditForwarder, forwarder_id)
    if hook is None:
        raise NotFound("no such audit forwarder")
    return hook


def failing_since(uow: UnitOfWork, hook: AuditForwarder) -> datetime | None:
    """When the current run of failed sends began (its ``audit_forwarder.failing``
    event), or None while sending works."""
    if not hook.failures:
        return None
    query = (
        select(Event.occurred_at)
        .where(Event.subject_type == "audit_forwarder", Event.subject_id == hook.id,
               Event.type == "audit_forwarder.failing")
        .order_by(Event.position.desc())
        .limit(1)
    )  # fmt: skip
    return uow.session.scalar(query)


def list_forwarders(uow: UnitOfWork, actor: Actor) -> Sequence[AuditForwarder]:
    require(actor, Role.ADMIN)
    return uow.session.scalars(
        select(AuditForwarder).order_by(AuditForwarder.created_at, AuditForwarder.name)
    ).all()
