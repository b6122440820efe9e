"""Post-incident reviews in the domain: template choice and pre-filling from a built
incident, the policy, the workflow's permissions, conflict detection on save, feedback
and who may read a review."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.transitions import do_transition
from muster.domain.incidents.update_schemas import PublicUpdateIn
from muster.domain.incidents.updates import do_post_update
from muster.domain.reviews.feedback import do_give_feedback, feedback_summary
from muster.domain.reviews.models import Review
from muster.domain.reviews.review_schemas import FeedbackIn, PolicyIn, TemplateIn
from muster.domain.reviews.review_service import (
    StaleReview,
    do_save_review,
    do_set_review_status,
    do_start_review,
    get_review,
    list_reviews,
)
from muster.domain.reviews.review_templates import (
    choose_template,
    do_create_template,
    do_delete_template,
    do_update_policy,
    get_policy,
    list_templates,
    requires_review,
    review_due_at,
)
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def resolved(db: Database, clock: ManualClock, actor: Actor, **fields: object) -> str:
    incident = declare(db, actor, **fields)
    clock.advance(minutes=30)
    with db.unit_of_work() as uow:
        do_transition(uow, actor, incident, "contained")
        uow.commit()
    clock.advance(minutes=90)
    with db.unit_of_work() as uow:
        do_transition(uow, actor, incident, "resolved")
        uow.commit()
    return incident


def start(db: Database, actor: Actor, incident: str) -> Review:
    with db.unit_of_work() as uow:
        review = do_start_review(uow, actor, incident)
        uow.commit()
        return review


def template(db: Database, actor: Actor, name: str, **fields: object) -> str:
    with db.unit_of_work() as uow:
        data = TemplateIn.model_validate(
            {"name": name, "body": f"# {name}\n{{{{title}}}}", **fields}
        )
        row = do_create_template(uow, actor, data)
        uow.commit()
        return row.id


def test_the_most_specific_template_wins_else_the_default(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    by_type = template(db, cast.admin, "Security", type_keys=["security"])
    by_both = template(db, cast.admin, "Security SEV1", type_keys=["security"], severities=[1])
    by_sev = template(db, cast.admin, "Any SEV1", severities=[1])
    cases = {(1, "security"): by_both, (2, "security"): by_type, (1, "operational"): by_sev}
    for (sev, kind), expected in cases.items():
        incident = declare(db, cast.sec, severity=sev, type=kind)
        with db.unit_of_work(readonly=True) as uow:
            chosen = choose_template(uow, uow.session.get_one(Incident, incident))
            assert chosen is not None
            assert chosen.id == expected, (sev, kind, chosen.name)
    incident = declare(db, cast.ic, severity=3)
    with db.unit_of_work(readonly=True) as uow:
        chosen = choose_template(uow, uow.session.get_one(Incident, incident))
        assert chosen is not None
        assert chosen.builtin


def test_a_review_is_pre_filled_from_what_muster_knows(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic, severity=3, commander_id=cast.ic.id, impact="EU shoppers")
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.ic, incident, "communications", cast.resp.id)
        do_post_update(uow, cast.ic, incident, PublicUpdateIn.model_validate(
            {"kind": "public", "body": "We are looking into failed checkouts.", "public_status": "investigating"}
        ))  # fmt: skip
        uow.commit()
    clock.advance(hours=2, minutes=5)
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident, "resolved")
        uow.commit()
    body = start(db, cast.ic, incident).body
    assert "Checkout is down" in body
    assert "EU shoppers" in body
    assert "- Triage: entered 2026-01-05 09:00 UTC, 2 h 05 min" in body  # the phases
    assert "2 h 05 min" in body  # detected to resolved
    assert "Communications" in body
    assert "resp@example.com" not in body
    assert "We are looking into failed checkouts." in body  # status updates
    assert "{{" not in body


def test_policy_sev3_operational_not_required_security_sev4_required_due_in_5_business_days(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    ops = resolved(db, clock, cast.ic, severity=3)
    sec = resolved(db, clock, cast.sec, severity=4, type="security", title="Phishing")
    with db.unit_of_work(readonly=True) as uow:
        policy = get_policy(uow)
        assert not requires_review(policy, uow.session.get_one(Incident, ops))
        assert requires_review(policy, uow.session.get_one(Incident, sec))
        # Friday 10:00 → the end of the following Friday (5 business days).
        friday = datetime(2026, 1, 9, 10, tzinfo=UTC)
        assert review_due_at(policy, friday) == datetime(2026, 1, 17, tzinfo=UTC)
    manual = start(db, cast.ic, ops)
    assert manual.required is False
    assert manual.due_at is None
    with db.unit_of_work() as uow:
        do_update_policy(
            uow, cast.admin, PolicyIn(severities=[1, 2, 3], type_keys=[], due_business_days=3)
        )
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert requires_review(get_policy(uow), uow.session.get_one(Incident, ops))
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_update_policy(
            uow, cast.boss, PolicyIn(severities=[1], type_keys=[], due_business_days=5)
        )
    with db.unit_of_work() as uow, pytest.raises(InvalidInput):
        do_update_policy(
            uow, cast.admin, PolicyIn(severities=[1], type_keys=["nope"], due_business_days=5)
        )


def test_workflow_manager_approves_viewer_cannot_edit(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = resolved(db, clock, cast.ic, severity=2)
    review = start(db, cast.ic, incident)

    def status(actor: Actor, to: str) -> str:
        with db.unit_of_work() as uow:
            row = do_set_review_status(uow, actor, incident, to)
            uow.commit()
            return row.status

    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_save_review(uow, cast.viewer, incident, "mine", review.version)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput):
        do_set_review_status(uow, cast.boss, incident, "published")  # not from draft
    assert status(cast.ic, "in_review") == "in_review"
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_set_review_status(uow, cast.ic, incident, "approved")  # a responder
    assert status(cast.boss, "approved") == "approved"
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_save_review(uow, cast.ic, incident, "late edit", 99)  # approved: not editable
    assert status(cast.boss, "published") == "published"
    with db.unit_of_work(readonly=True) as uow:
        _, row = get_review(uow, cast.viewer, incident)  # published: the viewer reads it
        assert row.approved_by == "boss@example.com"
        assert row.published_at is not None


def test_two_saves_of_the_same_version_second_is_a_conflict_with_both_texts(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = resolved(db, clock, cast.ic, severity=2)
    review = start(db, cast.ic, incident)
    with db.unit_of_work() as uow:
        saved = do_save_review(uow, cast.ic, incident, "Alice's text", review.version)
        uow.commit()
        assert saved.version == review.version + 1
    with db.unit_of_work() as uow, pytest.raises(StaleReview) as stale:
        do_save_review(uow, cast.resp, incident, "Bob's text", review.version)
    assert stale.value.status == 409
    assert stale.value.current_body == "Alice's text"
    assert stale.value.yours == "Bob's text"
    assert stale.value.current_version == review.version + 1
    with db.unit_of_work(readonly=True) as uow:
        assert get_review(uow, cast.ic, incident)[1].body == "Alice's text"


def test_feedback_summary_and_one_answer_per_person(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = resolved(db, clock, cast.ic, severity=2)
    review = start(db, cast.ic, incident)
    for actor, rating, comment in (
        (cast.ic, 2, "paging was slow"), (cast.resp, 4, ""), (cast.ic, 3, "ok after all"),
    ):  # fmt: skip
        with db.unit_of_work() as uow:
            do_give_feedback(uow, actor, incident, FeedbackIn(rating=rating, comment=comment))
            uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        summary = feedback_summary(uow, review.id)
    assert summary.count == 2
    assert summary.average == 3.5
    assert summary.distribution == {1: 0, 2: 0, 3: 1, 4: 1, 5: 0}
    assert summary.comments == ["ok after all"]
    with pytest.raises(ValueError, match="less than or equal to 5"):
        FeedbackIn(rating=6)


def test_a_restricted_incidents_review_is_hidden_from_those_who_cannot_see_it(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = resolved(db, clock, cast.sec, severity=1, type="security", restricted=True)
    start(db, cast.sec, incident)
    with db.unit_of_work(readonly=True) as uow:
        with pytest.raises(NotFound):
            get_review(uow, cast.outsider, incident)
        assert list_reviews(uow, cast.outsider) == []
        assert [i.id for _, i in list_reviews(uow, cast.sec)] == [incident]


def test_templates_the_default_cannot_be_deleted(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        (default,) = [t for t in list_templates(uow) if t.builtin]
        with pytest.raises(Conflict):
            do_delete_template(uow, cast.admin, default.id)
        with pytest.raises(PermissionDenied):
            do_create_template(uow, cast.boss, TemplateIn(name="x", body="y"))
