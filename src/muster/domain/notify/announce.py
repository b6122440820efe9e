"""Team and service announcement channels (a chat room, a mailing list, a webhook):
told when an alert group opens (when it pages), is acknowledged and is resolved. They are
never paged and never escalate; managers set them up."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.accounts.permissions import require
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.domain.notify.addresses import masked, normalise_address
from muster.domain.notify.models import AnnouncementChannel
from muster.domain.notify.outbox import queue_announcement
from muster.domain.notify.schemas import ChannelCreate
from muster.errors import NotFound

OWNERS = {"team": Team, "service": Service}
WHAT = {"alert_group.opened": "Opened", "alert_group.acknowledged": "Acknowledged",
        "alert_group.resolved": "Resolved"}  # fmt: skip


def _owner(uow: UnitOfWork, owner_type: str, owner_id: str) -> None:
    model = OWNERS.get(owner_type)
    if model is None or uow.session.get(model, owner_id) is None:
        raise NotFound(f"no such {owner_type}")


def list_channels(uow: UnitOfWork, owner_type: str, owner_id: str) -> Sequence[AnnouncementChannel]:
    _owner(uow, owner_type, owner_id)
    return uow.session.scalars(
        select(AnnouncementChannel)
        .where(
            AnnouncementChannel.owner_type == owner_type,
            AnnouncementChannel.owner_id == owner_id,
            AnnouncementChannel.removed_at.is_(None),
        )
        .order_by(AnnouncementChannel.created_at)
    ).all()


def do_add_channel(
    uow: UnitOfWork, actor: Actor, owner_type: str, owner_id: str, data: ChannelCreate
) -> AnnouncementChannel:
    require(actor, Role.MANAGER)
    _owner(uow, owner_type, owner_id)
    from muster.domain.notify.service import new_secret

    channel = AnnouncementChannel(
        owner_type=owner_type, owner_id=owner_id, type=data.type, label=data.label,
        address=normalise_address(data.type, data.address),
        secret=new_secret() if data.type == "webhook" else None, created_at=uow.now,
    )  # fmt: skip
    uow.session.add(channel)
    uow.flush()
    append_event(uow, actor, "announcement_channel.added", subject_type=owner_type,
                 subject_id=owner_id,
                 data={"channel_id": channel.id, "type": channel.type, "label": channel.label,
                       "address": masked(channel.type, channel.address)})  # fmt: skip
    return channel


def do_remove_channel(uow: UnitOfWork, actor: Actor, owner_type: str, owner_id: str,
                      channel_id: str) -> None:  # fmt: skip
    require(actor, Role.MANAGER)
    channel = uow.session.get(AnnouncementChannel, channel_id)
    if channel is None or (channel.owner_type, channel.owner_id) != (owner_type, owner_id):
        raise NotFound("no such channel")
    if channel.removed_at is None:
        channel.removed_at = uow.now
        append_event(uow, actor, "announcement_channel.removed", subject_type=owner_type,
                     subject_id=owner_id, data={"channel_id": channel.id, "label": channel.label})  # fmt: skip


def _any_channel(uow: UnitOfWork) -> bool:
    """Whether any channel exists (asked once per transaction: most have none)."""
    key = "notify.any_channel"
    if key not in uow.memo:
        found = uow.session.scalar(
            select(AnnouncementChannel.id).where(AnnouncementChannel.removed_at.is_(None)).limit(1)
        )
        uow.memo[key] = found is not None
    return bool(uow.memo[key])


def announce_group(uow: UnitOfWork, event: Event) -> int:
    """Queue one announcement per channel of the group's service and team."""
    if event.type == "alert_group.opened" and not event.data.get("pages"):
        return 0
    if not _any_channel(uow):
        return 0
    group = uow.session.get(AlertGroup, event.subject_id)
    if group is None:
        return 0
    service = uow.session.get(Service, group.service_id)
    if service is None:
        return 0
    channels = uow.session.scalars(
        select(AnnouncementChannel).where(
            AnnouncementChannel.removed_at.is_(None),
            or_(
                (AnnouncementChannel.owner_type == "service") & (AnnouncementChannel.owner_id == service.id),
                (AnnouncementChannel.owner_type == "team") & (AnnouncementChannel.owner_id == service.team_id),
            ),
        )
    ).all()  # fmt: skip
    what = WHAT[event.type]
    by = f" by {event.actor_label}" if event.type != "alert_group.opened" else ""
    subject = f"{what}: [{group.severity.upper()}] {service.name}: {group.summary}"[:300]
    text = f"{what}{by}: [{group.severity.upper()}] {service.name}: {group.summary}"
    for channel in channels:
        queue_announcement(uow, channel, event.id, subject, text, group.id)
    return len(channels)
