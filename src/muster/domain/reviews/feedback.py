"""Participants' feedback on a response: a rating of 1 to 5 and a comment, one answer
per person (answering again replaces it), summarised on the review."""

from __future__ import annotations

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.record import record
from muster.domain.reviews.models import ReviewFeedback
from muster.domain.reviews.review_schemas import FeedbackIn, FeedbackSummary
from muster.domain.reviews.review_service import get_review
from muster.errors import PermissionDenied


def do_give_feedback(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: FeedbackIn
) -> ReviewFeedback:
    """Preconditions: a responder (a person, not a token of the system) who may see the
    incident; the incident has a review."""
    require(actor, Role.RESPONDER)
    if actor.kind != "user" or not actor.id:
        raise PermissionDenied("feedback is given by a person")
    incident, review = get_review(uow, actor, incident_id)
    row = uow.session.scalar(
        select(ReviewFeedback).where(
            ReviewFeedback.review_id == review.id, ReviewFeedback.user_id == actor.id
        )
    )
    if row is None:
        row = ReviewFeedback(review_id=review.id, user_id=actor.id, created_at=uow.now)
        uow.session.add(row)
    row.rating, row.comment, row.updated_at = data.rating, data.comment, uow.now
    uow.session.flush()
    record(uow, actor, incident, "incident.feedback_given", review_id=review.id, rating=data.rating)  # fmt: skip
    return row


def my_feedback(uow: UnitOfWork, review_id: str, user_id: str | None) -> ReviewFeedback | None:
    if not user_id:
        return None
    return uow.session.scalar(
        select(ReviewFeedback).where(
            ReviewFeedback.review_id == review_id, ReviewFeedback.user_id == user_id
        )
    )


def feedback_summary(uow: UnitOfWork, review_id: str) -> FeedbackSummary:
    rows = uow.session.scalars(
        select(ReviewFeedback)
        .where(ReviewFeedback.review_id == review_id)
        .order_by(ReviewFeedback.created_at, ReviewFeedback.id)
    ).all()
    distribution = {n: 0 for n in range(1, 6)}
    for r in rows:
        distribution[r.rating] += 1
    average = round(sum(r.rating for r in rows) / len(rows), 2) if rows else None
    return FeedbackSummary(
        count=len(rows), average=average, distribution=distribution,
        comments=[r.comment for r in rows if r.comment],
    )  # fmt: skip
