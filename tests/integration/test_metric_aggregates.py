"""Aggregates over a filter: exact mean/median/p90 on known data, each filter, what is
left out (declined, hidden restricted incidents), completion rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpers import SYSTEM
from incident_support import build_cast
from metrics_support import declared_ago, move
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.reviews.action_models import ActionItem
from muster.domain.reviews.aggregates import MetricsFilter, aggregate, stats_of, week_of
from muster.domain.reviews.metric_charts import parse_filter
from muster.domain.reviews.models import Review
from muster.errors import InvalidInput

M = 60.0


def test_stats_are_exact() -> None:
    s = stats_of([600.0, 60.0, 180.0, 120.0, 240.0])
    assert (s.n, s.mean, s.median, s.p90) == (5, 240.0, 180.0, 600.0)
    even = stats_of([1.0, 2.0, 3.0, 4.0])
    assert (even.median, even.p90) == (2.5, 4.0)
    assert stats_of([7.0] * 10 + [100.0]).p90 == 7.0  # ceil(9.9) = 10th value
    assert stats_of([]).mean is None


def test_weeks_start_on_monday() -> None:
    sunday = datetime(2026, 1, 11, 23, 0, tzinfo=UTC).timestamp()
    monday = datetime(2026, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert str(week_of(sunday)) == "2026-01-05"
    assert str(week_of(monday)) == "2026-01-12"


def test_times_and_filters(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    with db.unit_of_work() as uow:
        other = do_create_service(uow, SYSTEM, ServiceCreate(name="search", team_id=cast.team))
        uow.commit()
        other_id = other.id
    for minutes, severity in ((1, 1), (2, 2), (3, 2), (4, 3), (10, 3)):
        declared_ago(db, cast, timedelta(minutes=minutes), severity=severity)
        clock.advance(minutes=1)
    declared_ago(db, cast, timedelta(minutes=99), type="security", sites=["lon-1"],
                 restricted=False)  # fmt: skip
    declined = declared_ago(db, cast, timedelta(minutes=50))
    move(db, clock, cast.ic, declined, "declined", timedelta(minutes=1))
    with db.unit_of_work(readonly=True) as uow:
        everything = aggregate(uow, cast.ic, MetricsFilter())
        operational = aggregate(uow, cast.ic, MetricsFilter(type_key="operational"))
        sev2 = aggregate(uow, cast.ic, MetricsFilter(severity=2))
        site = aggregate(uow, cast.ic, MetricsFilter(site="lon-1"))
        team = aggregate(uow, cast.ic, MetricsFilter(team_id=cast.team))
        nothing = aggregate(uow, cast.ic, MetricsFilter(service_id=other_id))
        later = aggregate(uow, cast.ic, MetricsFilter(since=clock.now()))
    assert everything.count == 6  # the declined one is no incident
    declare = operational.times["time_to_declare"]
    assert (declare.n, declare.mean, declare.median, declare.p90) == (5, 4 * M, 3 * M, 10 * M)
    assert sev2.count == 2
    assert sev2.times["time_to_declare"].mean == 2.5 * M
    assert site.count == 1
    assert site.times["time_to_declare"].median == 99 * M
    assert team.count == 6
    assert nothing.count == 0
    assert nothing.times["time_to_declare"].mean is None
    assert later.count == 0
    assert sum(n for _w, n in everything.per_week) == 6
    assert everything.by_severity[3][0] == 3
    assert everything.by_type["security"][0] == 1


def test_restricted_incidents_count_only_for_those_who_may_see_them(db: Database) -> None:
    cast = build_cast(db)
    declared_ago(db, cast, timedelta(minutes=1))
    declared_ago(db, cast, timedelta(minutes=1), restricted=True)
    with db.unit_of_work(readonly=True) as uow:
        assert aggregate(uow, cast.outsider, MetricsFilter()).count == 1
        assert aggregate(uow, cast.sec, MetricsFilter()).count == 2
        assert aggregate(uow, cast.ic, MetricsFilter()).count == 2  # a participant


def test_review_and_action_item_completion(db: Database) -> None:
    cast = build_cast(db)
    ids = [declared_ago(db, cast, timedelta(minutes=1)) for _ in range(3)]
    with db.unit_of_work() as uow:
        now = uow.now
        for incident_id, status in zip(ids, ("published", "draft", "approved"), strict=True):
            uow.session.add(Review(incident_id=incident_id, status=status, body="", version=1,
                                   required=True, created_at=now, created_by="t",
                                   updated_at=now, updated_by="t"))  # fmt: skip
        # The last one has no due day: R2's completion rate leaves it out.
        for n, (status, due) in enumerate(
            (
                ("done", True),
                ("open", True),
                ("wont_do", True),
                ("in_progress", True),
                ("done", True),
                ("done", False),
            )
        ):
            uow.session.add(ActionItem(incident_id=ids[0], number=n + 1, title="fix",
                                       kind="prevent", priority="P2", status=status,
                                       due_on=now.date() if due else None,
                                       done_at=now if status == "done" else None,
                                       created_at=now, created_by="t", updated_at=now))  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        agg = aggregate(uow, cast.ic, MetricsFilter())
    assert (agg.reviews.done, agg.reviews.total, agg.reviews.rate) == (1, 3, 0.3333)
    assert (agg.action_items.done, agg.action_items.total, agg.action_items.rate) == (2, 4, 0.5)


def test_bad_filter_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_filter({"since": "yesterday", "severity": "SEV9"})
    assert {e.field for e in caught.value.errors} == {"since", "severity"}
    f = parse_filter({"since": "2026-01-01", "severity": "SEV2", "site": " "})
    assert f.severity == 2
    assert f.site is None
    assert f.since == datetime(2026, 1, 1, tzinfo=UTC)
