"""Drills never make a real site look busy: exercise alerts, incidents and site events
are counted apart on the overview; a drill run's own site is never busy and comes last;
a real incident cannot be set at a drill's site."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.incidents.models import Incident
from muster.domain.incidents.schemas import IncidentCreate, IncidentUpdate
from muster.domain.incidents.service import do_declare_incident, do_update_incident
from muster.domain.sites.models import Device
from muster.domain.sites.overview import (
    open_alerts_at,
    open_incidents_at,
    restricted_activity,
    site_summaries,
)
from muster.errors import Conflict
from sites_drill_support import RUN, drill_at_hq, drill_site
from sites_support import build_place, ingest, report


def test_drill_work_at_a_real_site_is_counted_apart(db: Database, clock: ManualClock) -> None:
    place = build_place(db)
    drill = drill_at_hq(db, place, clock.now())
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, drill.incident).exercise_run_id == RUN
        assert uow.session.get_one(Incident, drill.incident).site_id == place.hq
        hq = next(s for s in site_summaries(uow, SYSTEM) if s.site.id == place.hq)
        assert (hq.open_alerts, hq.open_incidents, hq.restricted_events) == (0, 0, 0)
        assert (hq.exercise_alerts, hq.exercise_incidents) == (1, 1)
        assert not hq.busy
        assert [s.site.name for s in site_summaries(uow, SYSTEM)] == ["Depot", "HQ"]
        assert open_alerts_at(uow, place.hq) == []
        assert [a.id for a in open_alerts_at(uow, place.hq, exercise=True)] == [drill.alert]
        assert open_incidents_at(uow, SYSTEM, place.hq) == []
        assert [i.id for i in open_incidents_at(uow, SYSTEM, place.hq, exercise=True)] == [
            drill.incident
        ]
        [row] = restricted_activity(uow, place.hq)
        assert row.exercise
    real = ingest(db, place.integration, "real-door")
    report(db, place.door, "door_forced_open", clock.now(), identity="B-9")
    with db.unit_of_work(readonly=True) as uow:
        hq = next(s for s in site_summaries(uow, SYSTEM) if s.site.id == place.hq)
        assert (hq.open_alerts, hq.restricted_events, hq.exercise_alerts) == (1, 1, 1)
        assert hq.busy
        assert [s.site.name for s in site_summaries(uow, SYSTEM)] == ["HQ", "Depot"]
        assert [a.id for a in open_alerts_at(uow, place.hq)] == [real]
        assert [r.exercise for r in restricted_activity(uow, place.hq)] == [False, True]


def test_a_drill_site_is_never_busy_and_comes_last(db: Database, clock: ManualClock) -> None:
    place = build_place(db)
    vault = drill_site(db, "[EXERCISE] A vault")  # sorts first by name
    with db.unit_of_work() as uow:
        uow.session.add(Device(site_id=vault, kind="door", name="d", external_id="d",
                               online=False, created_at=uow.now))  # fmt: skip
        uow.commit()
    report(db, place.lobby_reader, "access_granted", clock.now() - timedelta(minutes=5))
    with db.unit_of_work(readonly=True) as uow:
        summaries = site_summaries(uow, SYSTEM)
    assert [s.site.id for s in summaries] == [place.depot, place.hq, vault]
    assert summaries[-1].devices_offline == 1
    assert summaries[-1].exercise
    assert not summaries[-1].busy


def test_a_real_incident_cannot_be_set_at_a_drill_site(db: Database) -> None:
    place = build_place(db)
    vault = drill_site(db)
    with db.unit_of_work() as uow:
        incident = do_declare_incident(uow, SYSTEM, IncidentCreate(title="Real"))
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(Conflict) as caught:
        do_update_incident(uow, SYSTEM, incident.id, IncidentUpdate(site_id=vault))
    assert [e.field for e in caught.value.errors] == ["site_id"]
    with db.unit_of_work() as uow:
        do_update_incident(uow, SYSTEM, incident.id, IncidentUpdate(site_id=place.hq))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, incident.id).site_id == place.hq
