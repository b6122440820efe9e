"""Evaluates correlation rules over site events not yet considered (``correlated_at``
empty), oldest received first; see :mod:`muster.domain.correlation.site_matching`.

Durable and idempotent: an event is marked in the same transaction as the matches it
made, so a restart re-evaluates nothing twice and misses nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from muster.db.claim import claim
from muster.db.uow import UnitOfWork
from muster.domain.correlation.site_matching import correlate
from muster.domain.sites.models import SiteEvent

BATCH = 200
MAX_BATCHES = 10  # per pass, so one pass stays bounded


class SiteCorrelation:
    name = "site_correlation"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return (
            uow.session.scalar(
                select(SiteEvent.id).where(SiteEvent.correlated_at.is_(None)).limit(1)
            )
            is not None
        )

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many matches were made."""
        made = 0
        for _ in range(MAX_BATCHES):
            events = claim(
                uow,
                select(SiteEvent)
                .where(SiteEvent.correlated_at.is_(None))
                .order_by(SiteEvent.received_at, SiteEvent.id),
                limit=BATCH,
            )
            if not events:
                break
            made += correlate(uow, events)
            if len(events) < BATCH:
                break
        return made
