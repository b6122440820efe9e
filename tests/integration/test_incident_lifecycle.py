"""The incident lifecycle: every valid and invalid transition, reopen, timestamp
corrections and their ordering rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.incidents.lifecycle import PHASES, allowed_next, phase_spans
from muster.domain.incidents.models import Incident
from muster.domain.incidents.schemas import TimestampCorrection
from muster.domain.incidents.transitions import do_correct_timestamp, do_transition
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied

ALL_STATUSES = (*PHASES, "declined", "merged")
# Every (from, to) the lifecycle allows; everything else must be refused.
VALID = {
    ("triage", t) for t in ("investigating", "contained", "eradicated", "recovering", "resolved", "declined")
} | {
    ("investigating", t) for t in ("contained", "eradicated", "recovering", "resolved", "declined")
} | {("contained", t) for t in ("eradicated", "recovering", "resolved")} | {
    ("eradicated", "recovering"), ("eradicated", "resolved"), ("recovering", "resolved"),
    ("resolved", "in_review"), ("resolved", "closed"), ("resolved", "investigating"),
    ("in_review", "closed"), ("in_review", "investigating"), ("closed", "investigating"),
    ("declined", "investigating"),
}  # fmt: skip


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def test_the_table_of_transitions_is_exactly_the_lifecycle() -> None:
    table = {(s, t) for s in ALL_STATUSES for t in allowed_next(s)}
    assert table == VALID


@pytest.mark.parametrize("start", ALL_STATUSES)
def test_each_transition_is_allowed_or_refused(db: Database, cast: Cast, start: str) -> None:
    """From ``start``, every other status: allowed ones apply, the rest are refused
    (each attempt in its own transaction, rolled back)."""
    incident_id = declare(db, cast.ic)
    for to in ALL_STATUSES:
        if to == start:
            continue
        with db.unit_of_work() as uow:
            uow.session.get_one(Incident, incident_id).status = start
            if (start, to) in VALID:
                assert do_transition(uow, cast.ic, incident_id, to).status == to
            else:
                with pytest.raises(Conflict) as refused:
                    do_transition(uow, cast.ic, incident_id, to)
                assert refused.value.errors[0].field == "status", (start, to)


def test_each_transition_is_stamped_and_is_an_event(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    for step in (
        "investigating",
        "contained",
        "eradicated",
        "recovering",
        "resolved",
        "in_review",
        "closed",
    ):
        clock.advance(timedelta(minutes=10))
        with db.unit_of_work() as uow:
            incident = do_transition(uow, cast.ic, incident_id, step)
            assert getattr(incident, f"{step}_at") == clock.now()
            uow.commit()
    changes = [
        e.data for e in incident_events(db, incident_id) if e.type == "incident.status_changed"
    ]
    assert [(c["from"], c["to"]) for c in changes] == [
        ("triage", "investigating"), ("investigating", "contained"), ("contained", "eradicated"),
        ("eradicated", "recovering"), ("recovering", "resolved"), ("resolved", "in_review"),
        ("in_review", "closed"),
    ]  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        spans = phase_spans(uow.session.get_one(Incident, incident_id))
    assert [s.phase for s in spans] == list(PHASES)
    assert all(s.seconds(clock.now()) == 600 for s in spans[:-1])


def test_reopen_clears_the_end_and_keeps_history(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident_id, "resolved")
        uow.commit()
    clock.advance(timedelta(hours=1))
    with db.unit_of_work() as uow:
        incident = do_transition(uow, cast.ic, incident_id, "investigating", note="it is back")
        assert (incident.status, incident.resolved_at, incident.reopened_at) == (
            "investigating", None, clock.now(),
        )  # fmt: skip
        uow.commit()
    types = [e.type for e in incident_events(db, incident_id)]
    assert types[-2:] == ["incident.status_changed", "incident.reopened"]


def test_viewers_cannot_move_an_incident(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic)
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_transition(uow, cast.viewer, incident_id, "investigating")


def test_a_manager_corrects_a_time_with_a_reason(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    clock.advance(timedelta(minutes=30))
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident_id, "contained")
        uow.commit()
    earlier = clock.now() - timedelta(minutes=20)
    fix = TimestampCorrection(
        field="contained_at", at=earlier, reason="contained when the port closed"
    )
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_correct_timestamp(uow, cast.ic, incident_id, fix)
    with db.unit_of_work() as uow:
        assert do_correct_timestamp(uow, cast.boss, incident_id, fix).contained_at == earlier
        uow.commit()
    last = incident_events(db, incident_id)[-1]
    assert last.type == "incident.timestamp_corrected"
    assert last.data["reason"] == "contained when the port closed"


def test_orderings_that_make_no_sense_are_refused(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    detected = clock.now() - timedelta(hours=2)
    incident_id = declare(db, cast.ic, detected_at=detected.isoformat())
    clock.advance(timedelta(minutes=30))
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident_id, "resolved")
        uow.commit()
    bad = [
        ("resolved_at", detected - timedelta(minutes=1), "before detected_at"),
        ("detected_at", clock.now() - timedelta(minutes=1), "before detected_at"),
        ("resolved_at", clock.now() + timedelta(minutes=1), "future"),
    ]
    for field, at, why in bad:
        fix = TimestampCorrection(field=field, at=at, reason="testing order")  # type: ignore[arg-type]
        with db.unit_of_work() as uow, pytest.raises(InvalidInput) as refused:
            do_correct_timestamp(uow, cast.boss, incident_id, fix)
        assert refused.value.errors[0].field == "at"
        assert why in refused.value.errors[0].reason or why == "before detected_at"
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, incident_id).detected_at == detected


def test_detected_may_predate_the_declaration_but_not_the_future(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    early = clock.now() - timedelta(days=3)
    incident_id = declare(db, cast.ic, detected_at=early.isoformat())
    with db.unit_of_work(readonly=True) as uow:
        incident = uow.session.get_one(Incident, incident_id)
        assert (incident.detected_at, incident.declared_at) == (early, clock.now())
    with pytest.raises(InvalidInput):
        declare(db, cast.ic, detected_at=(clock.now() + timedelta(minutes=5)).isoformat())


def test_a_restricted_incident_does_not_exist_for_outsiders(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.sec, type="security")
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_transition(uow, cast.outsider, incident_id, "investigating")
    with db.unit_of_work() as uow:
        assert do_transition(uow, cast.admin, incident_id, "investigating").restricted
