"""The metric moments kept on each incident (muster.domain.incidents.metric_moments):
refreshed when an incident command commits, by the engine when a linked alert group is
acknowledged, and filled for existing incidents by migration 0021 exactly as the
refresh computes them."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

from sqlalchemy import select, text, update

from helpers import SYSTEM
from incident_support import build_cast, declare
from metrics_support import assign_commander, link_alert
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.alerts.service import do_acknowledge_group
from muster.domain.incidents.metric_moments import refresh_all
from muster.domain.incidents.models import Incident
from muster.domain.reviews.aggregates import MetricsFilter, aggregate
from muster.engine.modules.incident_metric_moments import IncidentMetricMoments

MOMENTS = ("impact_started_at", "first_acknowledged_at", "commander_engaged_at")


def _moments(db: Database, incident_id: str) -> tuple[datetime | None, ...]:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(Incident, incident_id)
        return row.impact_started_at, row.first_acknowledged_at, row.commander_engaged_at


def test_a_command_refreshes_the_moments_when_it_commits(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    declared = clock.now()
    # Declared by the system (an integration or script): the declaration acknowledges nothing.
    incident = declare(db, SYSTEM, detected_at=(declared - timedelta(minutes=10)).isoformat(),
                       service_ids=[cast.service])  # fmt: skip
    assert _moments(db, incident) == (None, None, None)
    clock.advance(minutes=3)
    assign_commander(db, cast.ic, incident, cast.ic.id or "")
    assert _moments(db, incident) == (None, declared + timedelta(minutes=3),
                                      declared + timedelta(minutes=3))  # fmt: skip


def test_a_person_declaring_acknowledges(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    incident = declare(db, cast.ic, service_ids=[cast.service])
    assert _moments(db, incident)[1] == clock.now()


def test_a_linked_group_acknowledged_later_reaches_the_incident_through_the_engine(
    db: Database, clock: ManualClock
) -> None:
    cast = build_cast(db)
    start = clock.now()
    incident = declare(db, SYSTEM, detected_at=start.isoformat(), service_ids=[cast.service])
    group_id = link_alert(db, cast, incident, first_seen=start - timedelta(minutes=4),
                          occurred=start - timedelta(minutes=6))  # fmt: skip
    assert _moments(db, incident)[0] == start - timedelta(minutes=6)  # the alert's own start
    with db.unit_of_work() as uow:  # the linked alert fires again
        uow.session.execute(
            update(Alert).where(Alert.group_id == group_id).values(status="triggered")
        )
        uow.session.execute(
            update(AlertGroup).where(AlertGroup.id == group_id).values(status="triggered")
        )
        uow.commit()
    clock.advance(minutes=7)
    with db.unit_of_work() as uow:
        do_acknowledge_group(uow, cast.resp, group_id)
        uow.commit()
    assert _moments(db, incident)[1] is None  # not yet: the group is not the incident
    with db.unit_of_work() as uow:
        assert IncidentMetricMoments().run_due(uow, uow.now) == 1
        uow.commit()
    assert _moments(db, incident)[1] == start + timedelta(minutes=7)
    with db.unit_of_work(readonly=True) as uow:
        agg = aggregate(uow, cast.admin, MetricsFilter())
    assert agg.times["time_to_acknowledge"].median == 7 * 60.0
    assert agg.times["time_to_detect"].median == 6 * 60.0
    with db.unit_of_work() as uow:  # read once: a second pass finds nothing to do
        assert IncidentMetricMoments().run_due(uow, uow.now) == 0


def test_migration_fills_what_the_refresh_computes(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    start = clock.now()
    first = declare(db, SYSTEM, detected_at=start.isoformat(), service_ids=[cast.service])
    link_alert(db, cast, first, first_seen=start - timedelta(minutes=2),
               acknowledged=start + timedelta(minutes=1))  # fmt: skip
    clock.advance(minutes=5)
    assign_commander(db, cast.ic, first, cast.ic.id or "")
    second = declare(db, cast.ic, service_ids=[cast.service])
    plain = declare(db, SYSTEM, service_ids=[cast.service])
    ids = (first, second, plain)
    expected = [_moments(db, i) for i in ids]
    assert expected[0] == (start - timedelta(minutes=2), start + timedelta(minutes=1),
                           start + timedelta(minutes=5))  # fmt: skip
    migration = importlib.import_module(
        "muster.db.migrations.versions.0021_incident_metric_columns"
    )
    sets = ", ".join(f"{c} = {migration._least(migration.CANDIDATES[c])}" for c in MOMENTS)
    with db.unit_of_work() as uow:
        uow.session.execute(update(Incident).values(dict.fromkeys(MOMENTS)))
        uow.session.execute(text(f"UPDATE incidents SET {sets}"))
        uow.commit()
    assert [_moments(db, i) for i in ids] == expected
    with db.unit_of_work() as uow:  # and a refresh of everything changes nothing
        assert refresh_all(uow) == 0
        assert uow.session.scalar(select(Incident.id).where(Incident.id == plain)) == plain
