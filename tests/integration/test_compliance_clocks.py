"""Regulatory clocks on an incident: regimes applied, facts recorded, each report's due
time by its regime's arithmetic (GDPR 72 h, SEC over Thanksgiving and a weekend, DORA
classified late → already missed, NIS2's chained final report, HIPAA's HHS report only
for 500 people or more), submissions (late ones need a reason), missed deadlines
explained, and who may do what."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from compliance_support import apply, clock_of, compliance, events_of, fact, submit
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.compliance.clock_schemas import (
    FactIn,
    MissReasonIn,
    RegimeApplyIn,
    RegimeRemoveIn,
    SubmissionIn,
)
from muster.domain.compliance.clocks import do_apply_regime, do_remove_regime, recompute_clocks
from muster.domain.compliance.facts import do_record_fact
from muster.domain.compliance.models import Submission
from muster.domain.compliance.submissions import do_explain_miss, do_record_submission
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.incidents.models import Incident
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def test_gdpr_runs_72_hours_from_awareness_and_a_correction_moves_it(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "gdpr-33")
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    assert gdpr.status == "waiting"
    assert gdpr.waiting_for == "Became aware"
    aware = START - timedelta(hours=2)
    fact(db, cast.ic, incident, "aware_at", at=aware)
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    assert gdpr.status == "running"
    assert gdpr.due_at == aware + timedelta(hours=72)
    assert gdpr.seconds_left == 70 * 3600
    assert gdpr.pct_elapsed == 2  # 2 of 72 hours
    assert "72 hours" in gdpr.rule
    (started,) = events_of(db, incident, "incident.clock_started")
    assert started["deadline"] == "gdpr-33/authority"
    # Corrected: aware an hour earlier. The change is on the timeline with the old value.
    fact(db, cast.ic, incident, "aware_at", at=aware - timedelta(hours=1), reason="log review")
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    assert gdpr.due_at == aware + timedelta(hours=71)
    (changed,) = events_of(db, incident, "incident.clock_changed")
    assert datetime.fromisoformat(changed["previous_due_at"]) == aware + timedelta(hours=72)
    recorded = events_of(db, incident, "incident.compliance_fact_recorded")
    assert [r["previous_at"] is None for r in recorded] == [True, False]
    assert recorded[1]["reason"] == "log review"
    (regime,) = compliance(db, cast.ic, incident).regimes
    assert (regime.regime, regime.applied_by) == ("gdpr-33", "ic@example.com")


def test_recomputing_is_idempotent(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "nis2-23")
    fact(db, cast.ic, incident, "aware_at", at=START)
    before = len(incident_events(db, incident))
    with db.unit_of_work() as uow:
        recompute_clocks(uow, cast.ic, uow.session.get_one(Incident, incident))
        recompute_clocks(uow, cast.ic, uow.session.get_one(Incident, incident))
        uow.commit()
    assert len(incident_events(db, incident)) == before
    # The same fact value again changes nothing either.
    fact(db, cast.ic, incident, "aware_at", at=START)
    assert len(incident_events(db, incident)) == before


def test_sec_counts_four_business_days_over_thanksgiving_and_the_weekend(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "sec-8k-105")
    # Determined material on Wednesday 25 November 2026, 10:00 in New York.
    fact(db, cast.ic, incident, "material_at", at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    form = clock_of(db, cast.ic, incident, "sec-8k-105/form-8k")
    # Fri 27 (1), Mon 30 (2), Tue 1 (3), Wed 2 (4): due at the end of Wednesday 2
    # December, New York time (05:00 UTC on the 3rd).
    assert form.due_at == datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
    assert form.status == "running"


def test_dora_classified_major_after_24_hours_is_already_missed_then_explained(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "dora")
    fact(db, cast.ic, incident, "aware_at", at=START)
    assert clock_of(db, cast.ic, incident, "dora/initial").status == "waiting"
    clock.advance(hours=30)
    fact(db, cast.ic, incident, "classified_major_at", at=START + timedelta(hours=29))
    initial = clock_of(db, cast.ic, incident, "dora/initial")
    assert initial.due_at == START + timedelta(hours=24)  # the cap, not 29 h + 4 h
    assert initial.status == "missed"
    assert initial.seconds_left == -6 * 3600
    (missed,) = events_of(db, incident, "incident.deadline_missed")
    assert missed["deadline"] == "dora/initial"
    # Explained; a late submission without a reason is refused and changes nothing.
    with db.unit_of_work() as uow:
        do_explain_miss(uow, cast.ic, incident, initial.id, MissReasonIn(reason="classified late"))
        uow.commit()
    assert clock_of(db, cast.ic, incident, "dora/initial").missed_reason == "classified late"
    data = SubmissionIn(recipient="competent authority", reference="DORA-1")
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
        do_record_submission(uow, cast.ic, incident, initial.id, data)
    assert refused.value.errors[0].field == "late_reason"
    assert compliance(db, cast.ic, incident).submissions == []
    submit(db, cast.ic, incident, initial.id, late_reason="classified late", reference="DORA-1")
    out = compliance(db, cast.ic, incident)
    (sent,) = out.submissions
    assert sent.late
    assert sent.late_reason == "classified late"
    assert clock_of(db, cast.ic, incident, "dora/initial").status == "submitted"
    # The intermediate report's clock starts at the initial notification's submission.
    intermediate = clock_of(db, cast.ic, incident, "dora/intermediate")
    assert intermediate.due_at == START + timedelta(hours=30 + 72)
    assert clock_of(db, cast.ic, incident, "dora/final").status == "waiting"
    (submitted,) = events_of(db, incident, "incident.report_submitted")
    assert submitted["late"] is True
    assert submitted["reference"] == "DORA-1"


def test_nis2_final_report_is_chained_on_the_notification(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "nis2-23")
    fact(db, cast.ic, incident, "aware_at", at=START)
    early = clock_of(db, cast.ic, incident, "nis2-23/early-warning")
    notification = clock_of(db, cast.ic, incident, "nis2-23/notification")
    final = clock_of(db, cast.ic, incident, "nis2-23/final")
    assert early.due_at == START + timedelta(hours=24)
    assert notification.due_at == START + timedelta(hours=72)
    assert (final.status, final.due_at) == ("waiting", None)
    clock.advance(hours=2)
    submit(db, cast.ic, incident, early.id)
    clock.advance(hours=46)
    submit(db, cast.ic, incident, notification.id, reference="CSIRT-77")
    final = clock_of(db, cast.ic, incident, "nis2-23/final")
    assert final.status == "running"
    assert final.started_at == START + timedelta(hours=48)
    assert final.due_at == datetime(2026, 2, 7, 9, 0, tzinfo=UTC)  # one month later


def test_hipaa_hhs_applies_only_from_500_people(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "hipaa")
    fact(db, cast.ic, incident, "discovered_at", at=START)
    individuals = clock_of(db, cast.ic, incident, "hipaa/individuals")
    assert individuals.due_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)  # 60 days
    hhs = clock_of(db, cast.ic, incident, "hipaa/hhs")
    assert (hhs.status, hhs.waiting_for) == ("waiting", "the number of people affected")
    fact(db, cast.ic, incident, "affected_people", number=499)
    assert clock_of(db, cast.ic, incident, "hipaa/hhs").status == "not_applicable"
    fact(db, cast.ic, incident, "affected_people", number=500)
    hhs = clock_of(db, cast.ic, incident, "hipaa/hhs")
    assert (hhs.status, hhs.due_at) == ("running", individuals.due_at)
    started = [e["deadline"] for e in events_of(db, incident, "incident.clock_started")]
    assert started == ["hipaa/individuals", "hipaa/hhs"]


def test_removing_a_regime_stops_its_clocks_and_reapplying_restarts_them(
    db: Database, cast: Cast
) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "gdpr-33")
    fact(db, cast.ic, incident, "aware_at", at=START)
    with db.unit_of_work() as uow:
        do_remove_regime(
            uow, cast.ic, incident, "gdpr-33", RegimeRemoveIn(reason="no personal data")
        )
        uow.commit()
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    assert (gdpr.status, gdpr.due_at) == ("not_applicable", None)
    assert compliance(db, cast.ic, incident).regimes == []
    (removed,) = events_of(db, incident, "incident.regime_removed")
    assert removed == {**removed, "regime": "gdpr-33", "reason": "no personal data"}
    apply(db, cast.ic, incident, "gdpr-33")
    assert clock_of(db, cast.ic, incident, "gdpr-33/authority").status == "running"


def test_a_submission_keeps_its_document_by_sha256(
    db: Database, cast: Cast, tmp_path: Path
) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "gdpr-33")
    fact(db, cast.ic, incident, "aware_at", at=START)
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    store = FileBlobStore(tmp_path / "blobs")
    body = b"%PDF-1.7 notification to the authority"
    with db.unit_of_work() as uow:
        data = SubmissionIn(recipient="CNIL", reference="2026-0001", late_reason="ignored")
        do_record_submission(
            uow, cast.ic, incident, gdpr.id, data, store=store, document=body,
            document_name="C:\\reports\\art33.pdf",
        )  # fmt: skip
        uow.commit()
    (sent,) = compliance(db, cast.ic, incident).submissions
    digest = hashlib.sha256(body).hexdigest()
    assert (sent.document_name, sent.document_sha256, sent.document_size) == ("art33.pdf", digest, len(body))  # fmt: skip
    assert sent.late is False
    assert sent.late_reason is None
    assert store.get(digest) == body
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.scalars(select(Submission)).one()
        assert row.recorded_by == "ic@example.com"


def test_bad_input_is_refused_and_changes_nothing(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "gdpr-33")
    before = len(incident_events(db, incident))
    cases = [
        (
            "key",
            lambda uow: do_record_fact(
                uow, cast.ic, incident, "Aware-At", FactIn(at=START, reason="x")
            ),
        ),
        (
            "at",
            lambda uow: do_record_fact(
                uow,
                cast.ic,
                incident,
                "aware_at",
                FactIn(at=START + timedelta(hours=1), reason="x"),
            ),
        ),
        (
            "number",
            lambda uow: do_record_fact(
                uow, cast.ic, incident, "affected_people", FactIn(at=START, reason="x")
            ),
        ),
        (
            "number",
            lambda uow: do_record_fact(
                uow, cast.ic, incident, "affected_people", FactIn(number=-1, reason="x")
            ),
        ),
        (
            "regime",
            lambda uow: do_apply_regime(
                uow, cast.ic, incident, RegimeApplyIn(regime="nope", reason="x")
            ),
        ),
    ]
    for name, command in cases:
        with db.unit_of_work() as uow, pytest.raises(InvalidInput) as caught:
            command(uow)
        assert caught.value.errors[0].field == name
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_apply_regime(uow, cast.ic, incident, RegimeApplyIn(regime="gdpr-33", reason="again"))
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_explain_miss(uow, cast.ic, incident, gdpr.id, MissReasonIn(reason="not missed"))
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_remove_regime(uow, cast.ic, incident, "dora", RegimeRemoveIn(reason="never applied"))
    assert len(incident_events(db, incident)) == before


def test_viewers_read_only_and_a_restricted_incident_is_hidden(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "gdpr-33")
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_apply_regime(uow, cast.viewer, incident, RegimeApplyIn(regime="dora", reason="x"))
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_record_fact(uow, cast.viewer, incident, "aware_at", FactIn(at=START, reason="x"))
    assert [c.deadline for c in compliance(db, cast.viewer, incident).clocks] == ["gdpr-33/authority"]  # fmt: skip
    secret = declare(db, cast.sec, type="security")
    apply(db, cast.sec, secret, "gdpr-33")
    with pytest.raises(NotFound):
        compliance(db, cast.outsider, secret)
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_record_fact(uow, cast.outsider, secret, "aware_at", FactIn(at=START, reason="x"))
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_apply_regime(uow, cast.outsider, secret, RegimeApplyIn(regime="dora", reason="x"))
    assert events_of(db, secret, "incident.regime_applied")[0]["restricted"] is True


def test_a_follow_up_after_a_deadline_met_is_not_late(
    db: Database, clock: ManualClock, cast: Cast
) -> None:
    incident = declare(db, cast.ic)
    apply(db, cast.ic, incident, "gdpr-33")
    fact(db, cast.ic, incident, "aware_at", at=START)
    gdpr = clock_of(db, cast.ic, incident, "gdpr-33/authority")
    clock.advance(hours=70)
    submit(db, cast.ic, incident, gdpr.id, reference="first")
    clock.advance(hours=30)  # past the deadline: information in phases, no reason needed
    submit(db, cast.ic, incident, gdpr.id, reference="phase 2")
    sent = compliance(db, cast.ic, incident).submissions
    assert [(s.reference, s.late) for s in sent] == [("first", False), ("phase 2", False)]
    assert clock_of(db, cast.ic, incident, "gdpr-33/authority").missed_at is None
