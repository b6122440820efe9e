"""Each response time's definition (muster.domain.reviews.metrics) on incidents with
known timestamps: complete ones, ones that skip phases, reopened ones."""

from __future__ import annotations

from datetime import timedelta

from helpers import SYSTEM
from incident_support import build_cast
from incident_ui_support import START
from metrics_support import assign_commander, declared_ago, link_alert, move, set_times
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.notify.outbox import insert_rows, row_values
from muster.domain.reviews.metrics import (
    incident_metrics,
    incident_metrics_batch,
    times_of_columns,
)

M = 60.0
H = 3600.0


def _metrics(db: Database, incident_id: str) -> dict[str, object]:
    with db.unit_of_work(readonly=True) as uow:
        return incident_metrics(uow, uow.session.get_one(Incident, incident_id)).as_dict()


def test_every_time_of_a_complete_incident(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    incident = declared_ago(db, cast, timedelta(minutes=30))  # detected 08:30, declared 09:00
    link_alert(
        db, cast, incident, first_seen=START - timedelta(minutes=40),
        occurred=START - timedelta(minutes=45), acknowledged=START - timedelta(minutes=20),
    )  # fmt: skip
    clock.advance(minutes=5)
    ic_id = cast.ic.id
    assert ic_id is not None
    assign_commander(db, cast.ic, incident, ic_id)
    set_times(
        db, incident, contained_at=START + timedelta(hours=1),
        resolved_at=START + timedelta(hours=2), closed_at=START + timedelta(days=1),
    )  # fmt: skip
    got = _metrics(db, incident)
    assert got["time_to_detect"] == 15 * M  # 08:30 - 08:15 (the alert's own start)
    assert got["time_to_acknowledge"] == 10 * M  # group acknowledged 08:40
    assert got["time_to_declare"] == 30 * M
    assert got["time_to_engage_commander"] == 5 * M
    assert got["time_to_contain"] == 1.5 * H
    assert got["time_to_recover"] == 2.5 * H
    assert got["time_to_resolve"] == 24.5 * H
    assert got["reopened"] is False


def test_skipped_phases_are_none_not_zero(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    incident = declared_ago(db, cast, timedelta(minutes=10))
    move(db, clock, cast.ic, incident, "resolved", timedelta(minutes=50))
    got = _metrics(db, incident)
    assert got["time_to_detect"] is None  # no alerts: nothing says when it began
    assert got["time_to_contain"] is None  # never contained
    assert got["time_to_engage_commander"] is None  # no Commander ever
    assert got["time_to_resolve"] is None  # not closed
    assert got["time_to_recover"] == 1 * H
    # Declared by a person: the declaration is the first acknowledgement.
    assert got["time_to_acknowledge"] == 10 * M
    phases = got["phases"]
    assert isinstance(phases, list)
    assert [p["phase"] for p in phases] == ["triage", "resolved"]
    assert phases[0]["seconds"] == 50 * M


def test_first_seen_stands_in_for_a_missing_alert_start(db: Database) -> None:
    cast = build_cast(db)
    incident = declared_ago(db, cast, timedelta(minutes=10))
    link_alert(db, cast, incident, first_seen=START - timedelta(minutes=25))
    link_alert(db, cast, incident, first_seen=START - timedelta(minutes=18))
    assert _metrics(db, incident)["time_to_detect"] == 15 * M


def test_reopened_incident_runs_to_its_final_resolution(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    incident = declared_ago(db, cast, timedelta(0))
    move(db, clock, cast.ic, incident, "contained", timedelta(minutes=20))
    move(db, clock, cast.ic, incident, "resolved", timedelta(minutes=40))  # 1h
    move(db, clock, cast.ic, incident, "investigating", timedelta(hours=1))  # reopened at 2h
    move(db, clock, cast.ic, incident, "resolved", timedelta(hours=3))  # finally at 5h
    move(db, clock, cast.ic, incident, "closed", timedelta(hours=1))
    got = _metrics(db, incident)
    assert got["reopened"] is True
    assert got["time_to_contain"] == 20 * M  # the first containment stands
    assert got["time_to_recover"] == 5 * H
    assert got["time_to_resolve"] == 6 * H


def test_batch_equals_one_by_one(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    first = declared_ago(db, cast, timedelta(minutes=7))
    link_alert(db, cast, first, first_seen=START - timedelta(minutes=9))
    clock.advance(minutes=1)
    second = declared_ago(db, cast, timedelta(minutes=3))
    move(db, clock, cast.ic, second, "contained", timedelta(minutes=4))
    singles = [_metrics(db, i) for i in (first, second)]
    with db.unit_of_work(readonly=True) as uow:
        rows = [uow.session.get_one(Incident, i) for i in (first, second)]
        batch = [m.as_dict() for m in incident_metrics_batch(uow, rows)]
    assert batch == singles


def test_pure_definitions_floor_backdated_gaps() -> None:
    moments: dict[str, list[float | None]] = {
        "detected": [100.0], "declared": [200.0], "contained": [None], "resolved": [None],
        "closed": [None], "impact": [150.0], "acknowledged": [50.0], "commander": [190.0],
    }  # fmt: skip
    times = {key: values[0] for key, values in times_of_columns(moments).items()}
    assert times["time_to_detect"] == 0.0  # detected_at backdated before the alert
    assert times["time_to_acknowledge"] == 0.0
    assert times["time_to_engage_commander"] == 0.0
    assert times["time_to_declare"] == 100.0
    assert times["time_to_contain"] is None


def test_pages_count_requests_per_person_not_contact_methods(db: Database) -> None:
    cast = build_cast(db)
    incident = declared_ago(db, cast, timedelta(minutes=1))
    group = link_alert(db, cast, incident, first_seen=START - timedelta(minutes=2))
    a, b, c = cast.resp.id, cast.outsider.id, cast.boss.id
    with db.unit_of_work() as uow:
        row = uow.session.get_one(Incident, incident)
        needed = record(uow, SYSTEM, row, "incident.commander_needed", user_ids=[c])
        noticed = record(uow, SYSTEM, row, "incident.updated", changes={})
        rows = [
            ("page", group, "e1", a, "email"), ("page", group, "e1", a, "sms"),  # one page
            ("page", group, "e1", b, "email"), ("page", group, "e2", a, "email"),
            ("incident", None, needed.id, c, "email"),
            ("incident", None, noticed.id, c, "email"),  # a notice, not a page
        ]  # fmt: skip
        insert_rows(uow, [
            row_values(uow, purpose=purpose, key=f"k{n}", method_type=method, address="x",
                       due=uow.now, step="s", group_id=group_id, request_event_id=event,
                       user_id=user)
            for n, (purpose, group_id, event, user, method) in enumerate(rows)
        ])  # fmt: skip
        uow.commit()
    got = _metrics(db, incident)
    assert (got["pages"], got["people_paged"]) == (4, 3)
