"""The response times of many incidents summed up: count, mean, median and p90 of each
time of :mod:`muster.domain.reviews.metrics`, incidents per week, breakdowns by severity
and type, and how many reviews and action items were completed.

Which incidents: those declared in the filter's range (``since`` inclusive, ``until``
exclusive) matching its service, team (an affected service belongs to the team), type,
severity and site, that the viewer may see — a restricted incident counts only for those
allowed to see it, so nobody learns of it from a total — and that were real incidents:
declined and merged ones are left out, and :func:`excluding_exercises` is the one place
where exercises (issue 12) will be left out.

Statistics over the incidents where the time is known (``n``): mean; median (the middle
value, or the mean of the two middle ones); p90 by the nearest-rank method (the smallest
value with at least 90% of values at or below it). Review completion: published reviews
of all the incidents' reviews; action-item completion is R2's
:func:`muster.domain.reviews.action_views.completion_rate` over the incidents' items
(items with a due day, "won't do" left out: the share done).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true

from muster.db.uow import UnitOfWork
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident, IncidentService
from muster.domain.incidents.service import _json_contains
from muster.domain.incidents.visibility import visible_clause
from muster.domain.reviews.action_views import ActionItemFilter, completion_rate
from muster.domain.reviews.metrics import TIME_KEYS, compute_times, facts_of, facts_query
from muster.domain.reviews.models import Review

NOT_INCIDENTS = ("declined", "merged")


@dataclass(frozen=True, slots=True)
class MetricsFilter:
    since: datetime | None = None
    until: datetime | None = None
    service_id: str | None = None
    team_id: str | None = None
    type_key: str | None = None
    severity: int | None = None
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    n: int
    mean: float | None
    median: float | None
    p90: float | None


@dataclass(frozen=True, slots=True)
class Rate:
    done: int
    total: int

    @property
    def rate(self) -> float | None:
        return round(self.done / self.total, 4) if self.total else None


@dataclass(slots=True)
class Aggregates:
    count: int
    times: dict[str, Stats]
    per_week: list[tuple[date, int]]
    by_severity: dict[int, tuple[int, float | None]]  # count, median time to recover
    by_type: dict[str, tuple[int, float | None]]
    reviews: Rate
    action_items: Rate


def excluding_exercises() -> ColumnElement[bool]:
    """The filter hook leaving exercise incidents out of every figure (issue 12: none
    are tagged yet, so it keeps everything)."""
    return true()


def scope_clause(uow: UnitOfWork, actor: Actor, f: MetricsFilter) -> ColumnElement[bool]:
    """A WHERE clause on :class:`Incident` for the incidents ``f`` covers for ``actor``."""
    clauses: list[Any] = [
        visible_clause(uow, actor),
        Incident.status.not_in(NOT_INCIDENTS),
        excluding_exercises(),
    ]
    if f.since is not None:
        clauses.append(Incident.declared_at >= f.since)
    if f.until is not None:
        clauses.append(Incident.declared_at < f.until)
    if f.type_key:
        clauses.append(Incident.type_key == f.type_key)
    if f.severity is not None:
        clauses.append(Incident.severity == f.severity)
    if f.service_id:
        clauses.append(
            select(IncidentService.incident_id)
            .where(
                IncidentService.incident_id == Incident.id,
                IncidentService.service_id == f.service_id,
            )
            .exists()
        )
    if f.team_id:
        clauses.append(
            select(IncidentService.incident_id)
            .join(Service, Service.id == IncidentService.service_id)
            .where(IncidentService.incident_id == Incident.id, Service.team_id == f.team_id)
            .exists()
        )
    if f.site:
        clauses.append(_json_contains(uow, Incident.sites, f.site))
    return and_(*clauses)


def stats_of(values: list[float]) -> Stats:
    """Count, mean, median and nearest-rank p90 of ``values``."""
    if not values:
        return Stats(0, None, None, None)
    ordered = sorted(values)
    p90 = ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]
    return Stats(
        n=len(ordered),
        mean=round(statistics.fmean(ordered), 3),
        median=round(statistics.median(ordered), 3),
        p90=p90,
    )


def week_of(seconds: float) -> date:
    """The Monday (UTC) of the week containing the epoch second ``seconds``."""
    day = math.floor(seconds / 86400)
    return date(1970, 1, 1) + timedelta(days=day - (day + 3) % 7)


def _weeks(counts: dict[date, int], f: MetricsFilter) -> list[tuple[date, int]]:
    """Every week from the first to the last (of the range when given), empty ones as 0."""
    first = week_of(f.since.timestamp()) if f.since else min(counts, default=None)
    last = week_of(f.until.timestamp() - 1) if f.until else max(counts, default=None)
    if first is None or last is None or last < first:
        return sorted(counts.items())
    weeks, at = [], first
    while at <= last:
        weeks.append((at, counts.get(at, 0)))
        at += timedelta(days=7)
    return weeks


def _rates(uow: UnitOfWork, scope: ColumnElement[bool]) -> tuple[Rate, Rate]:
    ids = select(Incident.id).where(scope)
    reviews = uow.session.execute(
        select(func.count(), func.count(case((Review.status == "published", 1))))
        .where(Review.incident_id.in_(ids))
    ).one()  # fmt: skip
    items = completion_rate(uow, ActionItemFilter(incident_ids=ids))
    return Rate(int(reviews[1]), int(reviews[0])), Rate(items.done, items.due)


def aggregate(uow: UnitOfWork, actor: Actor, f: MetricsFilter) -> Aggregates:
    """Every figure of the metrics page for ``f`` as ``actor`` sees it: one scan of the
    incidents (with their alert, role and participant summaries) and two counts."""
    scope = scope_clause(uow, actor, f)
    query = facts_query(uow, Incident.severity, Incident.type_key).where(scope)
    values: dict[str, list[float]] = {key: [] for key in TIME_KEYS}
    weeks: dict[date, int] = {}
    severities: dict[int, list[float | None]] = {}
    types: dict[str, list[float | None]] = {}
    count = 0
    for row in uow.session.execute(query):
        count += 1
        facts = facts_of(row, 3)
        times = compute_times(facts)
        for key in TIME_KEYS:
            value = times[key]
            if value is not None:
                values[key].append(value)
        week = week_of(facts.declared)
        weeks[week] = weeks.get(week, 0) + 1
        severities.setdefault(row[1], []).append(times["time_to_recover"])
        types.setdefault(row[2], []).append(times["time_to_recover"])
    reviews, items = _rates(uow, scope)
    return Aggregates(
        count=count,
        times={key: stats_of(values[key]) for key in TIME_KEYS},
        per_week=_weeks(weeks, f),
        by_severity={k: _breakdown(v) for k, v in sorted(severities.items())},
        by_type={k: _breakdown(v) for k, v in sorted(types.items())},
        reviews=reviews,
        action_items=items,
    )


def _breakdown(recover_times: list[float | None]) -> tuple[int, float | None]:
    known = [t for t in recover_times if t is not None]
    return len(recover_times), stats_of(known).median


def utc_day(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
