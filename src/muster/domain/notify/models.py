"""Contact methods, notification rules, announcement channels, the outbox, one-click
action tokens and the health of each delivery channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from muster.db.base import Base, id_column

METHOD_TYPES = ("email", "sms", "voice", "push", "chat", "webhook")
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "cancelled")


class ContactMethod(Base):
    """One way to reach a person. Used for pages only once verified (a code sent through
    it and entered back, or an admin's word). ``secret`` signs webhook deliveries."""

    __tablename__ = "contact_methods"

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    type: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(100))
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(320))
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_sent_at: Mapped[datetime | None]
    code_expires_at: Mapped[datetime | None]
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def usable(self) -> bool:
        return self.verified_at is not None and self.removed_at is None


class NotificationRule(Base):
    """ "Notify me through this method ``delay_minutes`` after being paged, if the alert
    group is still unacknowledged" — per urgency (high, low)."""

    __tablename__ = "notification_rules"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "urgency", "contact_method_id", "delay_minutes", name="uq_notification_rules"
        ),
    )

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    urgency: Mapped[str] = mapped_column(String(4))
    contact_method_id: Mapped[str] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE"), index=True
    )
    delay_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class AnnouncementChannel(Base):
    """A team's or a service's room or list: told when alert groups open, are acknowledged
    and are resolved. Never paged."""

    __tablename__ = "announcement_channels"
    __table_args__ = (Index("ix_announcement_channels_owner", "owner_type", "owner_id"),)

    id: Mapped[str] = id_column()
    owner_type: Mapped[str] = mapped_column(String(10))  # team | service
    owner_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(10))  # chat | email | webhook
    label: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """One message to send; the only way anything leaves Muster.

    ``next_attempt_at`` is the timer, ``claimed_until`` the lease of the worker sending it
    (``claim_id`` names that claim). A row sent inside another row's message (bundled)
    points at it by ``bundle_id``. See :mod:`muster.domain.notify.delivery`.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_method_sent", "contact_method_id", "sent_at"),
        Index("ix_outbox_group", "group_id", "created_at"),
        Index("ix_outbox_request", "request_event_id", "user_id"),
    )

    id: Mapped[str] = id_column()
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))  # page | verify | test | announce | health
    status: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    contact_method_id: Mapped[str | None] = mapped_column(ForeignKey("contact_methods.id"))
    channel_id: Mapped[str | None] = mapped_column(ForeignKey("announcement_channels.id"))
    method_type: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(2000))
    group_id: Mapped[str | None] = mapped_column(ForeignKey("alert_groups.id"))
    escalation_id: Mapped[str | None] = mapped_column(String(36))
    request_event_id: Mapped[str | None] = mapped_column(String(36))
    level: Mapped[int | None] = mapped_column(Integer)
    loop: Mapped[int | None] = mapped_column(Integer)
    urgency: Mapped[str | None] = mapped_column(String(4))
    step: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claim_id: Mapped[str | None] = mapped_column(String(36))
    bundle_id: Mapped[str | None] = mapped_column(String(36))
    last_error: Mapped[str | None] = mapped_column(String(1000))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ActionToken(Base):
    """A one-click acknowledge/resolve link, or an email reply address: single-purpose,
    bound to its alert groups and to the person it was sent to, single use, expiring.
    Only its id travels, signed with the installation's secret."""

    __tablename__ = "action_tokens"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))  # ack | resolve | reply
    group_ids: Mapped[list[Any]]
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    outbox_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_action: Mapped[str | None] = mapped_column(String(10))
    used_via: Mapped[str | None] = mapped_column(String(10))


class ChannelHealth(Base):
    """How one kind of delivery (email, sms, ...) is faring, for Muster's own alarms."""

    __tablename__ = "channel_health"

    method_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    failing_since: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    admins_told_at: Mapped[datetime | None]
