"""Correlation rules over site events, driven by the clock: inside and outside the
window, either order, one batch or several, not across zones, idempotent across runs,
later events joining a match, and both outcomes (incident with playbook, alert)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from correlation_support import Place, correlate, make_place, make_rule, matches, site_event
from helpers import SYSTEM
from incident_support import Cast, build_cast, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert
from muster.domain.catalog.service import do_archive_service
from muster.domain.incidents.models import Incident
from muster.domain.playbooks.defaults import do_install_defaults
from muster.domain.playbooks.models import Playbook, PlaybookRun
from muster.domain.sites.models import Site, SiteEvent
from ui_support import events_of_type


@pytest.fixture
def place(db: Database) -> Place:
    return make_place(db)


def test_forced_door_then_person_within_the_window_declares_an_incident(
    db: Database, clock: ManualClock, place: Place
) -> None:
    with db.unit_of_work() as uow:
        do_install_defaults(uow, SYSTEM)
        uow.commit()
    make_rule(db, playbook_key="physical-access")
    t0 = clock.now()
    door = site_event(db, place, "door_forced_open", t0)
    assert correlate(db) == 0  # alone, nothing yet
    clock.advance(seconds=90)
    person = site_event(db, place, "detected:person", clock.now(), identity="unknown-1")
    assert correlate(db) == 1
    ((match, events),) = matches(db)
    assert events == {door, person}
    assert (match.first_event_at, match.last_event_at) == (t0, t0 + timedelta(seconds=90))
    assert match.zone_id == place.server_room
    assert match.incident_id is not None
    with db.unit_of_work(readonly=True) as uow:
        incident = uow.session.get_one(Incident, match.incident_id)
        assert (incident.type_key, incident.severity, incident.site_id) == (
            "physical_security",
            2,
            place.site,
        )
        assert incident.title == "Unauthorized access at HQ / Server room"
        assert incident.detected_at == t0
        run = uow.session.scalar(select(PlaybookRun).where(PlaybookRun.incident_id == incident.id))
        assert run is not None
        playbook = uow.session.get_one(Playbook, run.playbook_id)
        assert playbook.key == "physical-access"
        marked = uow.session.scalars(select(SiteEvent.correlated_at)).all()
        assert all(m is not None for m in marked)
    correlated = [e for e in incident_events(db, incident.id) if e.type == "incident.correlated"]
    assert len(correlated) == 1
    assert [e["kind"] for e in correlated[0].data["events"]] == [
        "door_forced_open",
        "detected:person",
    ]
    assert correlated[0].data["rule"] == "Forced door and a person"
    assert correlate(db) == 0  # a second pass (a restart) adds nothing
    assert len(matches(db)) == 1


def test_outside_the_window_nothing_matches(db: Database, clock: ManualClock, place: Place) -> None:
    make_rule(db)
    site_event(db, place, "door_forced_open", clock.now())
    clock.advance(seconds=121)
    site_event(db, place, "detected:person", clock.now())
    assert correlate(db) == 0
    assert matches(db) == []


def test_person_before_door_matches_as_well(db: Database, clock: ManualClock, place: Place) -> None:
    make_rule(db)
    t0 = clock.now()
    person = site_event(db, place, "detected:person", t0)
    assert correlate(db) == 0
    clock.advance(seconds=100)
    door = site_event(db, place, "door_forced_open", t0 + timedelta(seconds=100))
    assert correlate(db) == 1
    assert [events for _m, events in matches(db)] == [{person, door}]


def test_both_events_in_one_batch_make_one_match(
    db: Database, clock: ManualClock, place: Place
) -> None:
    make_rule(db)
    t0 = clock.now()
    door = site_event(db, place, "door_forced_open", t0 + timedelta(seconds=30))
    person = site_event(db, place, "detected:person", t0)  # uploaded late, happened earlier
    assert correlate(db) == 1
    assert [events for _m, events in matches(db)] == [{person, door}]


def test_events_in_different_zones_or_sites_do_not_match(
    db: Database, clock: ManualClock, place: Place
) -> None:
    other = make_place(db, "Branch")
    make_rule(db)
    t0 = clock.now()
    site_event(db, place, "door_forced_open", t0)
    site_event(db, place, "detected:person", t0, zone=place.lobby)
    site_event(db, other, "detected:person", t0, site=other.site, zone=other.server_room)
    assert correlate(db) == 0
    # The restricted-only rule does not fire in the lobby even when both are there.
    site_event(db, place, "door_forced_open", t0, zone=place.lobby)
    assert correlate(db) == 0
    assert matches(db) == []


def test_site_scope_matches_across_zones(db: Database, clock: ManualClock, place: Place) -> None:
    make_rule(db, name="Anywhere at the site", scope="site", restricted_only=False)
    t0 = clock.now()
    site_event(db, place, "door_forced_open", t0)
    site_event(db, place, "detected:person", t0 + timedelta(minutes=1), zone=place.lobby)
    assert correlate(db) == 1
    ((match, _events),) = matches(db)
    assert match.zone_id is None


def test_a_later_event_joins_the_match_instead_of_a_second_incident(
    db: Database, clock: ManualClock, place: Place
) -> None:
    make_rule(db)
    t0 = clock.now()
    site_event(db, place, "door_forced_open", t0)
    site_event(db, place, "detected:person", t0 + timedelta(seconds=20))
    assert correlate(db) == 1
    clock.advance(seconds=60)
    again = site_event(
        db, place, "detected:person", t0 + timedelta(seconds=60), identity="face:bob"
    )
    assert correlate(db) == 0
    ((match, events),) = matches(db)
    assert again in events
    assert len(events) == 3
    assert match.incident_id is not None
    joined = [e for e in incident_events(db, match.incident_id)
              if e.type == "incident.correlation_joined"]  # fmt: skip
    assert [e.data["event"]["identity"] for e in joined] == ["face:bob"]
    with db.unit_of_work(readonly=True) as uow:
        assert (
            uow.session.scalar(select(Incident.id).where(Incident.id != match.incident_id)) is None
        )
    # Well after the window a new pair makes a new match.
    clock.advance(minutes=10)
    t1 = clock.now()
    site_event(db, place, "door_forced_open", t1)
    site_event(db, place, "detected:person", t1)
    assert correlate(db) == 1
    assert len(matches(db)) == 2


def test_three_kinds_need_all_three_within_the_window(
    db: Database, clock: ManualClock, place: Place
) -> None:
    make_rule(db, kinds=["access_denied", "tailgating_detected", "detected:person"],
              window_minutes=5, restricted_only=False)  # fmt: skip
    t0 = clock.now()
    site_event(db, place, "access_denied", t0)
    site_event(db, place, "detected:person", t0 + timedelta(minutes=4))
    assert correlate(db) == 0
    # Tailgating 6 minutes after the denial: within 5 of the person, not of the denial.
    site_event(db, place, "tailgating_detected", t0 + timedelta(minutes=6))
    assert correlate(db) == 0
    site_event(db, place, "access_denied", t0 + timedelta(minutes=5))
    assert correlate(db) == 1
    ((match, _events),) = matches(db)
    assert (match.first_event_at, match.last_event_at) == (
        t0 + timedelta(minutes=4),
        t0 + timedelta(minutes=6),
    )


def test_disabled_rules_do_not_fire(db: Database, clock: ManualClock, place: Place) -> None:
    make_rule(db, enabled=False)
    site_event(db, place, "door_forced_open", clock.now())
    site_event(db, place, "detected:person", clock.now())
    assert correlate(db) == 0
    with db.unit_of_work(readonly=True) as uow:  # considered all the same: never again
        assert None not in uow.session.scalars(select(SiteEvent.correlated_at)).all()


def test_an_alert_outcome_raises_one_alert_on_the_service(
    db: Database, clock: ManualClock, place: Place
) -> None:
    cast: Cast = build_cast(db)
    make_rule(db, name="Door and tamper", kinds=["door_held_open", "tamper"], outcome="alert",
              alert_severity="error", service_id=cast.service, title="Door tampered with")  # fmt: skip
    t0 = clock.now()
    held = site_event(db, place, "door_held_open", t0)
    tamper = site_event(db, place, "tamper", t0 + timedelta(seconds=45), identity="badge-17")
    assert correlate(db) == 1
    ((match, _events),) = matches(db)
    assert match.alert_id is not None
    assert match.incident_id is None
    with db.unit_of_work(readonly=True) as uow:
        alert = uow.session.get_one(Alert, match.alert_id)
        assert (alert.service_id, alert.severity, alert.status) == (
            cast.service,
            "error",
            "triggered",
        )
        assert alert.summary == "Door tampered with at HQ / Server room"
        assert (alert.site_id, alert.zone_id, alert.integration_id) == (
            place.site,
            place.server_room,
            None,
        )
        correlation = alert.custom_details["correlation"]
        assert correlation["match_id"] == match.id
        assert [e["id"] for e in correlation["events"]] == [held, tamper]
        assert alert.links == [
            {"href": f"/correlation/matches/{match.id}", "text": "Correlation match"}
        ]
        assert alert.labels["correlation_rule"] == "Door and tamper"


def test_a_rule_whose_service_was_archived_keeps_matching_but_raises_nothing(
    db: Database, clock: ManualClock, place: Place
) -> None:
    cast: Cast = build_cast(db)
    make_rule(db, name="Lockdown and forced door", kinds=["lockdown", "door_forced_open"],
              outcome="alert", service_id=cast.service, title="Breach during lockdown")  # fmt: skip
    with db.unit_of_work() as uow:
        do_archive_service(uow, SYSTEM, cast.service)
        uow.commit()
    site_event(db, place, "lockdown", clock.now())
    site_event(db, place, "door_forced_open", clock.now())
    assert correlate(db) == 1
    ((match, _events),) = matches(db)
    assert match.alert_id is None
    (matched,) = events_of_type(db, "correlation.matched")
    assert matched.data["not_raised"] == "the rule's service is archived"
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(Alert.id)) is None
        assert None not in uow.session.scalars(select(SiteEvent.correlated_at)).all()


def test_events_at_a_drill_site_raise_nothing_real(
    db: Database, clock: ManualClock, place: Place
) -> None:
    make_rule(db)
    with db.unit_of_work() as uow:  # the place is a drill run's own site
        uow.session.execute(
            update(Site).where(Site.id == place.site).values(exercise_run_id="run-1")
        )
        uow.commit()
    site_event(db, place, "door_forced_open", clock.now())
    clock.advance(seconds=30)
    site_event(db, place, "detected:person", clock.now())
    assert correlate(db) == 0
    assert matches(db) == []
    with db.unit_of_work(readonly=True) as uow:  # considered, so never looked at again
        assert (
            uow.session.scalar(
                select(func.count()).select_from(SiteEvent).where(SiteEvent.correlated_at.is_(None))
            )
            == 0
        )
