"""Post-incident review commands: creating one (on resolution, by the engine, or by
hand), saving the text with optimistic locking, the workflow draft → in review →
approved (a manager) → published, the owner and meeting time, and who may read it.

Drafts are for responders who may see the incident; a published review is readable by
everyone who may see it. Every change is an event on the incident's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident, Participant, RoleAssignment
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import (
    get_visible_incident,
    person_may_see,
    visible_clause,
)
from muster.domain.reviews.models import Review
from muster.domain.reviews.prefill import facts_of, fill
from muster.domain.reviews.review_templates import (
    choose_template,
    get_policy,
    requires_review,
    review_due_at,
)
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

# status → {next status: the role needed}
TRANSITIONS: dict[str, dict[str, Role]] = {
    "draft": {"in_review": Role.RESPONDER},
    "in_review": {"draft": Role.RESPONDER, "approved": Role.MANAGER},
    "approved": {"published": Role.MANAGER, "in_review": Role.MANAGER},
    "published": {"in_review": Role.MANAGER},
}
EDITABLE = ("draft", "in_review")


class StaleReview(Conflict):
    """A save based on an older version: carries the saved text and the one sent."""

    def __init__(self, review: Review, yours: str) -> None:
        super().__init__(
            f"the review was changed by {review.updated_by} (now version {review.version}); "
            "your text was not saved",
            errors=[FieldError("version", f"is stale: the review is at {review.version}")],
        )
        self.current_body = review.body
        self.current_version = review.version
        self.updated_by = review.updated_by
        self.yours = yours


def review_of(uow: UnitOfWork, incident_id: str) -> Review | None:
    return uow.session.scalar(select(Review).where(Review.incident_id == incident_id))


def may_read(actor: Actor, review: Review) -> bool:
    """(The incident already known visible to ``actor``.)"""
    return review.status == "published" or actor.role >= Role.RESPONDER


def get_review(uow: UnitOfWork, actor: Actor, incident_id: str) -> tuple[Incident, Review]:
    """The incident's review if ``actor`` may read it; :class:`NotFound` otherwise."""
    incident = get_visible_incident(uow, actor, incident_id)
    review = review_of(uow, incident.id)
    if review is None or not may_read(actor, review):
        raise NotFound("this incident has no review")
    return incident, review


def get_review_by_id(uow: UnitOfWork, actor: Actor, review_id: str) -> tuple[Incident, Review]:
    row = uow.session.get(Review, review_id)
    if row is None:
        raise NotFound("no such review")
    try:
        return get_review(uow, actor, row.incident_id)
    except NotFound:
        raise NotFound("no such review") from None


def create_review(
    uow: UnitOfWork, actor: Actor, incident: Incident, *, required: bool,
    due_at: datetime | None,
) -> Review:  # fmt: skip
    """Make the review from the best template, pre-filled; record
    ``incident.review_created``. Preconditions: the incident has no review."""
    template = choose_template(uow, incident)
    body = fill(template.body, facts_of(uow, incident, uow.now)) if template else ""
    review = Review(
        incident_id=incident.id, template_id=template.id if template else None,
        status="draft", body=body, version=1, required=required, due_at=due_at,
        created_at=uow.now, created_by=actor.label, updated_at=uow.now, updated_by=actor.label,
    )  # fmt: skip
    uow.session.add(review)
    uow.session.flush()
    record(
        uow, actor, incident, "incident.review_created", review_id=review.id,
        required=required, due_at=due_at, user_ids=feedback_askees(uow, incident),
    )  # fmt: skip
    return review


def ensure_review_on_resolve(uow: UnitOfWork, actor: Actor, incident: Incident) -> Review | None:
    """On resolution: a review when the policy requires one and none exists (a reopened
    and resolved-again incident keeps its first). Returns the new review, if any."""
    if incident.resolved_at is None or review_of(uow, incident.id) is not None:
        return None  # (reopened meanwhile: its next resolution will make it)
    policy = get_policy(uow)
    if not requires_review(policy, incident):
        return None
    due = review_due_at(policy, incident.resolved_at)
    return create_review(uow, actor, incident, required=True, due_at=due)


def do_start_review(uow: UnitOfWork, actor: Actor, incident_id: str) -> Review:
    """Start a review by hand (an incident the policy does not require one of).

    Preconditions: responder; the incident visible and resolved or later; no review yet."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if incident.resolved_at is None:
        raise Conflict("review an incident once it is resolved")
    if review_of(uow, incident.id) is not None:
        raise Conflict("this incident has a review already")
    policy = get_policy(uow)
    required = requires_review(policy, incident)
    due = review_due_at(policy, incident.resolved_at) if required else None
    return create_review(uow, actor, incident, required=required, due_at=due)


def _editable(uow: UnitOfWork, actor: Actor, incident_id: str) -> tuple[Incident, Review]:
    require(actor, Role.RESPONDER)
    return get_review(uow, actor, incident_id)


def do_save_review(
    uow: UnitOfWork, actor: Actor, incident_id: str, body: str, version: int
) -> Review:
    """Save the text written on top of ``version``. Another save since then is a
    :class:`StaleReview` (409) carrying both texts; nothing is saved.

    Preconditions: responder; the review in draft or in review."""
    incident, review = _editable(uow, actor, incident_id)
    if review.status not in EDITABLE:
        raise Conflict(
            "an approved or published review is not edited; move it back to review first"
        )
    if review.version == version and body == review.body:
        return review
    # Compare-and-set on the version: of two saves of the same version one wins.
    saved = uow.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.version == version)
        .values(body=body, version=version + 1, updated_at=uow.now, updated_by=actor.label)
        .execution_options(synchronize_session=False)
    )
    uow.session.refresh(review)
    if int(getattr(saved, "rowcount", 0) or 0) != 1:
        raise StaleReview(review, body)
    record(uow, actor, incident, "incident.review_updated", review_id=review.id, version=review.version)  # fmt: skip
    return review


def do_set_review_status(uow: UnitOfWork, actor: Actor, incident_id: str, to: str) -> Review:
    """Move the review on (or back). Approving, publishing and reopening an approved or
    published review need a manager. Preconditions: ``to`` allowed from its status."""
    require(actor, Role.RESPONDER)
    incident, review = get_review(uow, actor, incident_id)
    allowed = TRANSITIONS.get(review.status, {})
    if to not in allowed:
        raise InvalidInput(
            "not a step of the review workflow",
            errors=[FieldError("status", f"cannot go from {review.status} to {to}")],
        )
    require(actor, allowed[to])
    before = review.status
    review.status = to
    if to == "approved":
        review.approved_at, review.approved_by = uow.now, actor.label
    if to == "published":
        review.published_at = uow.now
    if to in EDITABLE:
        review.approved_at = review.approved_by = review.published_at = None
    review.updated_at = uow.now
    review.version += 1
    record(uow, actor, incident, "incident.review_status_changed", review_id=review.id, **{"from": before, "to": to})  # fmt: skip
    return review


def do_set_review_owner(
    uow: UnitOfWork, actor: Actor, incident_id: str, user_id: str | None
) -> Review:
    """Preconditions: responder; the owner (if any) an active user who may see the incident."""
    incident, review = _editable(uow, actor, incident_id)
    if user_id:
        user = uow.session.get(User, user_id)
        if user is None or user.archived_at is not None or not person_may_see(uow, incident, user):
            raise InvalidInput("no such person", errors=[FieldError("owner_id", "unknown user")])
    review.owner_id = user_id or None
    review.updated_at = uow.now
    record(uow, actor, incident, "incident.review_owner_set", review_id=review.id, user_id=review.owner_id)  # fmt: skip
    return review


def do_set_review_meeting(
    uow: UnitOfWork, actor: Actor, incident_id: str, meeting_at: datetime | None
) -> Review:
    """Preconditions: responder."""
    incident, review = _editable(uow, actor, incident_id)
    review.meeting_at = meeting_at
    review.updated_at = uow.now
    record(uow, actor, incident, "incident.review_meeting_set", review_id=review.id, meeting_at=meeting_at)  # fmt: skip
    return review


def feedback_askees(uow: UnitOfWork, incident: Incident) -> list[str]:
    """Everyone who took part: participants (ever) and role holders (ever)."""
    ids = set(
        uow.session.scalars(select(Participant.user_id).where(Participant.incident_id == incident.id))
    ) | set(
        uow.session.scalars(
            select(RoleAssignment.user_id).where(RoleAssignment.incident_id == incident.id)
        )
    )  # fmt: skip
    return sorted(ids)


def list_reviews(
    uow: UnitOfWork, actor: Actor, *, status: str | None = None, limit: int = 200
) -> Sequence[tuple[Review, Incident]]:
    """Reviews of incidents ``actor`` may see (drafts only for responders), by due date."""
    query = (
        select(Review, Incident)
        .join(Incident, Incident.id == Review.incident_id)
        .where(visible_clause(uow, actor))
    )
    if status:
        query = query.where(Review.status == status)
    if actor.role < Role.RESPONDER:
        query = query.where(Review.status == "published")
    query = query.order_by(Review.due_at.is_(None), Review.due_at, Review.created_at).limit(limit)
    return [(r, i) for r, i in uow.session.execute(query)]
