"""What the delivery passes between its steps: options from settings, the message for a
channel, a claimed job and its outcome (plain data, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from muster.config import Settings
from muster.domain.notify.throttle import Throttle, parse_throttle


@dataclass(frozen=True)
class Options:
    base_url: str
    secret_key: str
    email_domain: str
    throttle: Throttle
    lease: timedelta
    link_ttl: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        n = settings.notify
        return cls(
            base_url=settings.base_url.rstrip("/"), secret_key=settings.secret_key,
            email_domain=settings.email_domain, throttle=parse_throttle(n.throttle),
            lease=timedelta(seconds=n.lease_seconds), link_ttl=timedelta(hours=n.link_ttl_hours),
        )  # fmt: skip


@dataclass(frozen=True)
class Outgoing:
    """One message for a channel: everything it needs, nothing from the database."""

    method_type: str
    address: str
    subject: str
    text: str
    html: str | None
    short: str
    voice: str
    data: dict[str, Any]
    idempotency_key: str
    reply_to: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Job:
    claim_id: str
    row_ids: tuple[str, ...]  # the carrier first, then the rows bundled into its message
    message: Outgoing


@dataclass(frozen=True)
class Outcome:
    ok: bool
    permanent: bool = False
    error: str | None = None
    provider_message_id: str | None = None
