"""Creates the post-incident review when an incident reaches "resolved" and the review
policy requires one (cursor "reviews"), from the best template, pre-filled. One review
per incident: a reopened incident resolved again keeps its first review.

Only status changes are loaded; the cursor steps past the rest and moves in the same
transaction as the reviews are made, so each event is read exactly once. Resolutions
older than :data:`RECENT` are passed over, so an installation upgrading to reviews does
not get one (and overdue reminders) for every incident of its past; those can still be
started by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Via
from muster.domain.events.feed import advance_cursor_to, read_feed_of
from muster.domain.incidents.models import Incident
from muster.domain.reviews.review_service import ensure_review_on_resolve
from muster.engine.pending import events_after_cursor

CURSOR = "reviews"
TYPES = ("incident.status_changed",)
BATCH = 200
MAX_BATCHES = 10  # per pass, so one pass stays bounded however far behind the log is
RECENT = timedelta(days=14)
ENGINE = Actor.system(Via.ENGINE, label="engine")


class ReviewCreation:
    name = "review_creation"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return events_after_cursor(uow, CURSOR)

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        """Returns how many reviews were created."""
        made = 0
        for _ in range(MAX_BATCHES):
            batch = read_feed_of(uow, CURSOR, TYPES, limit=BATCH)
            if batch.through is None:
                break
            for event in batch.events:
                if (event.data or {}).get("to") != "resolved" or event.occurred_at < now - RECENT:
                    continue
                incident = uow.session.get(Incident, event.subject_id)
                if incident is not None and ensure_review_on_resolve(uow, ENGINE, incident):
                    made += 1
            advance_cursor_to(uow, CURSOR, batch.through)
            if not batch.full:
                break
        return made
