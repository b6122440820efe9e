"""Incident roles and participants: SEV1/SEV2 need a Commander, assignment, handoff with
history, relinquishing, filling a role from an on-call schedule, joining, adding and
leaving as events, viewers who cannot act, and restricted incidents out of reach."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incident_people_support import weekly
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.incidents.models import Incident
from muster.domain.incidents.participants import (
    active_participants,
    do_add_participant,
    do_join,
    do_leave,
)
from muster.domain.incidents.roles import (
    current_roles,
    do_assign_role,
    do_assign_role_from_schedule,
    do_relinquish_role,
    holder,
    needs_commander,
    role_history,
)
from muster.domain.incidents.schemas import IncidentUpdate
from muster.domain.incidents.service import do_update_incident
from muster.domain.incidents.transitions import do_transition
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def needs(db: Database, incident_id: str) -> bool:
    with db.unit_of_work(readonly=True) as uow:
        return needs_commander(uow, uow.session.get_one(Incident, incident_id))


def assign(db: Database, cast: Cast, incident_id: str, role: str, user_id: str | None) -> None:
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.ic, incident_id, role, user_id or "")
        uow.commit()


@pytest.mark.parametrize(("severity", "required"), [(1, True), (2, True), (3, False), (5, False)])
def test_sev1_and_sev2_without_a_commander_need_one(
    db: Database, cast: Cast, severity: int, required: bool
) -> None:
    incident_id = declare(db, cast.ic, severity=severity)
    assert needs(db, incident_id) is required
    assign(db, cast, incident_id, "commander", cast.resp.id)
    assert needs(db, incident_id) is False


def test_a_commander_named_at_declaration_counts_and_raising_severity_asks_for_one(
    db: Database, cast: Cast
) -> None:
    named = declare(db, cast.ic, severity=1, commander_id=cast.resp.id)
    assert needs(db, named) is False
    raised = declare(db, cast.ic, severity=4)
    assert needs(db, raised) is False
    with db.unit_of_work() as uow:
        do_update_incident(uow, cast.ic, raised, IncidentUpdate(severity=2))
        uow.commit()
    assert needs(db, raised) is True


def test_a_resolved_incident_no_longer_needs_a_commander(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic, severity=1)
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident_id, "resolved")
        uow.commit()
    assert needs(db, incident_id) is False


def test_handoff_keeps_who_held_what_from_when_to_when(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic, severity=1)
    start = clock.now()
    assign(db, cast, incident_id, "commander", cast.ic.id)
    clock.advance(timedelta(minutes=40))
    handed = clock.now()
    assign(db, cast, incident_id, "commander", cast.resp.id)
    clock.advance(timedelta(minutes=15))
    assign(db, cast, incident_id, "scribe", cast.outsider.id)
    with db.unit_of_work(readonly=True) as uow:
        history = [
            (a.role_type.key, a.user_id, a.started_at, a.ended_at)
            for a in role_history(uow, incident_id)
        ]
        now_held = {a.role_type.key: a.user_id for a in current_roles(uow, incident_id)}
        commander = holder(uow, incident_id, "commander")
        assert commander is not None
        assert commander.user_id == cast.resp.id
    assert history == [
        ("commander", cast.ic.id, start, handed),
        ("commander", cast.resp.id, handed, None),
        ("scribe", cast.outsider.id, clock.now(), None),
    ]
    assert now_held == {"commander": cast.resp.id, "scribe": cast.outsider.id}
    roles = [e for e in incident_events(db, incident_id) if e.type.startswith("incident.role_")]
    assert [(e.type, e.data["role"], e.data["user_id"], e.data["previous_user_id"]) for e in roles] == [
        ("incident.role_assigned", "commander", cast.ic.id, None),
        ("incident.role_handed_off", "commander", cast.resp.id, cast.ic.id),
        ("incident.role_assigned", "scribe", cast.outsider.id, None),
    ]  # fmt: skip


def test_the_same_holder_twice_is_refused(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic, severity=2)
    assign(db, cast, incident_id, "commander", cast.resp.id)
    with pytest.raises(Conflict):
        assign(db, cast, incident_id, "commander", cast.resp.id)
    with pytest.raises(InvalidInput) as unknown_role:
        assign(db, cast, incident_id, "captain", cast.resp.id)
    assert unknown_role.value.errors[0].field == "role"
    with pytest.raises(InvalidInput) as unknown_person:
        assign(db, cast, incident_id, "scribe", "no-such-user")
    assert unknown_person.value.errors[0].field == "user_id"


def test_relinquishing_leaves_the_role_empty_and_is_recorded(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic, severity=1)
    assign(db, cast, incident_id, "commander", cast.resp.id)
    clock.advance(timedelta(minutes=5))
    with db.unit_of_work() as uow:
        do_relinquish_role(uow, cast.resp, incident_id, "commander")
        uow.commit()
    assert needs(db, incident_id) is True
    with db.unit_of_work(readonly=True) as uow:
        (only,) = role_history(uow, incident_id)
        assert (only.user_id, only.ended_at, only.ended_by) == (
            cast.resp.id, clock.now(), cast.resp.label,
        )  # fmt: skip
    last = incident_events(db, incident_id)[-1]
    assert (last.type, last.data["role"], last.data["user_id"]) == (
        "incident.role_relinquished", "commander", cast.resp.id,
    )  # fmt: skip
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_relinquish_role(uow, cast.resp, incident_id, "commander")


def test_a_role_filled_from_a_schedule_goes_to_whoever_is_on_call_now(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    schedule = weekly(db, cast.team, [cast.resp.id, cast.outsider.id])
    empty = weekly(db, cast.team, [], name="Nobody")
    incident_id = declare(db, cast.ic, severity=1)
    clock.advance(timedelta(days=8))  # the second week: outsider's turn
    with db.unit_of_work() as uow:
        assignment = do_assign_role_from_schedule(uow, cast.ic, incident_id, "commander", schedule)
        assert assignment.user_id == cast.outsider.id
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as nobody:
        do_assign_role_from_schedule(uow, cast.ic, incident_id, "deputy", empty)
    assert nobody.value.errors[0].field == "schedule_id"
    with db.unit_of_work(readonly=True) as uow:
        assert [p.user_id for p in active_participants(uow, incident_id)] == [
            cast.ic.id, cast.outsider.id,
        ]  # fmt: skip


def test_participants_join_are_added_and_leave_each_as_an_event(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic, severity=3)
    with db.unit_of_work() as uow:
        do_join(uow, cast.resp, incident_id)
        do_add_participant(uow, cast.ic, incident_id, cast.outsider.id)
        do_add_participant(uow, cast.ic, incident_id, cast.boss.id, page=False)
        do_assign_role(uow, cast.ic, incident_id, "scribe", cast.outsider.id)
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_join(uow, cast.resp, incident_id)
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_add_participant(uow, cast.ic, incident_id, cast.resp.id)
    clock.advance(timedelta(minutes=3))
    with db.unit_of_work() as uow:
        do_leave(uow, cast.outsider, incident_id)
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_leave(uow, cast.ic, incident_id, cast.resp.id)  # only a manager removes others
    with db.unit_of_work() as uow:
        do_leave(uow, cast.boss, incident_id, cast.resp.id)
        uow.commit()
    people = [
        (e.type.removeprefix("incident."), e.data["user_id"], e.data.get("page"))
        for e in incident_events(db, incident_id)
        if e.type.startswith("incident.participant_")
    ]
    assert people == [
        ("participant_joined", cast.ic.id, False),
        ("participant_joined", cast.resp.id, False),
        ("participant_added", cast.outsider.id, True),
        ("participant_added", cast.boss.id, False),
        ("participant_left", cast.outsider.id, None),
        ("participant_left", cast.resp.id, None),
    ]
    relinquished = [e for e in incident_events(db, incident_id) if e.type == "incident.role_relinquished"]  # fmt: skip
    assert [(e.data["role"], e.data["reason"]) for e in relinquished] == [
        ("scribe", "left the incident")
    ]
    with db.unit_of_work(readonly=True) as uow:
        assert {p.user_id for p in active_participants(uow, incident_id)} == {
            cast.ic.id, cast.boss.id,
        }  # fmt: skip
        assert holder(uow, incident_id, "scribe") is None


def test_a_viewer_cannot_act(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic, severity=1)
    assign(db, cast, incident_id, "commander", cast.resp.id)
    schedule = weekly(db, cast.team, [cast.resp.id])
    attempts = [
        lambda uow: do_assign_role(uow, cast.viewer, incident_id, "scribe", cast.viewer.id),
        lambda uow: do_relinquish_role(uow, cast.viewer, incident_id, "commander"),
        lambda uow: do_assign_role_from_schedule(uow, cast.viewer, incident_id, "deputy", schedule),
        lambda uow: do_join(uow, cast.viewer, incident_id),
        lambda uow: do_add_participant(uow, cast.viewer, incident_id, cast.outsider.id),
        lambda uow: do_leave(uow, cast.viewer, incident_id, cast.resp.id),
    ]
    for attempt in attempts:
        with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
            attempt(uow)
    types = [e.type for e in incident_events(db, incident_id)]
    assert types.count("incident.role_assigned") == 1
    assert "incident.participant_left" not in types


def test_a_restricted_incident_is_out_of_reach_of_outsiders(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic, severity=1, type="security")
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, incident_id).restricted is True
    for attempt in (
        lambda uow: do_assign_role(uow, cast.outsider, incident_id, "commander", cast.outsider.id),
        lambda uow: do_join(uow, cast.outsider, incident_id),
        lambda uow: do_add_participant(uow, cast.outsider, incident_id, cast.resp.id),
    ):
        with db.unit_of_work() as uow, pytest.raises(NotFound):
            attempt(uow)
    # The security team sees it and may take command; whoever is added may see it too.
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.sec, incident_id, "commander", cast.sec.id)
        do_add_participant(uow, cast.sec, incident_id, cast.resp.id)
        uow.commit()
    with db.unit_of_work() as uow:
        do_assign_role(uow, cast.resp, incident_id, "scribe", cast.resp.id)
        uow.commit()
    assert needs(db, incident_id) is False
