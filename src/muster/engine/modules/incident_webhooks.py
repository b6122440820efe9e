"""Queues incident webhook deliveries from the event log (cursor "incident_webhooks").

Each incident event is offered to every enabled webhook (see
:func:`muster.domain.incidents.webhooks.wants`); the deliveries go into the outbox in
the same transaction as the cursor moves, so each event is queued exactly once, and the
delivery module sends them. With no webhook enabled the cursor jumps to the end of the
log: a webhook created later hears of events from then on, not of the past.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.models import Event
from muster.domain.incidents.webhooks import active_webhooks
from muster.domain.notify.incident_webhooks import queue_deliveries
from muster.engine.feed_reaction import FeedReaction

CURSOR = "incident_webhooks"


class IncidentWebhooks(FeedReaction):
    name = "incident_webhooks"
    cursor = CURSOR

    def listening(self, uow: UnitOfWork) -> bool:
        return bool(active_webhooks(uow))

    def react(self, uow: UnitOfWork, events: Sequence[Event], now: datetime) -> int:
        """How many deliveries were queued."""
        return queue_deliveries(uow, events)
