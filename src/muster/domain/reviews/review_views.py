"""A review read back (for the API and the CLI): its fields, whether it is overdue and
its feedback summary."""

from __future__ import annotations

from muster.db.uow import UnitOfWork
from muster.domain.reviews.feedback import feedback_summary
from muster.domain.reviews.models import Review
from muster.domain.reviews.review_schemas import ReviewOut


def is_overdue(review: Review, uow: UnitOfWork) -> bool:
    return bool(review.due_at and review.status != "published" and review.due_at <= uow.now)


def review_out(uow: UnitOfWork, review: Review) -> ReviewOut:
    out = ReviewOut.model_validate(review)
    out.overdue = is_overdue(review, uow)
    out.feedback = feedback_summary(uow, review.id)
    return out
