"""The response times of many incidents summed up: count, mean, median and p90 of each
time of :mod:`muster.domain.reviews.metrics`, incidents per week, breakdowns by severity
and type, and how many reviews and action items were completed.

Which incidents: those declared in the filter's range (``since`` inclusive, ``until``
exclusive) matching its service, team (an affected service belongs to the team), type,
severity and site, that the viewer may see — a restricted incident counts only for those
allowed to see it, so nobody learns of it from a total — and that were real incidents:
declined and merged ones are left out, and :func:`excluding_exercises` is the one place
where exercises (drill runs) are left out.

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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident, IncidentService
from muster.domain.incidents.service import _json_contains
from muster.domain.incidents.visibility import visible_clause
from muster.domain.reviews.action_models import ActionItem
from muster.domain.reviews.action_views import ActionItemFilter, completion_rate
from muster.domain.reviews.metrics import (
    MOMENT_KEYS,
    TIME_KEYS,
    moment_columns,
    moments_query,
    times_of_columns,
)
from muster.domain.reviews.models import Review
from muster.domain.sites.service import sites_named

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
    """The filter leaving exercise incidents (drills, muster.domain.exercises) out of
    every figure."""
    return Incident.exercise_run_id.is_(None)


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
    if f.site:  # a site's id or name (muster.domain.sites), or a free-text site label
        clauses.append(
            or_(
                _json_contains(uow, Incident.sites, f.site),
                Incident.site_id.in_(sites_named(f.site)),
            )
        )
    return and_(*clauses)


def stats_of(values: list[float]) -> Stats:
    """Count, mean, median and nearest-rank p90 of ``values``."""
    if not values:
        return Stats(0, None, None, None)
    ordered = sorted(values)
    p90 = round(ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)], 3)
    return Stats(
        n=len(ordered),
        mean=round(statistics.fmean(ordered), 3),
        median=round(statistics.median(ordered), 3),
        p90=p90,
    )


EPOCH_DAY = date(1970, 1, 1)


def week_of(seconds: float) -> date:
    """The Monday (UTC) of the week containing the epoch second ``seconds``."""
    day = math.floor(seconds / 86400)
    return EPOCH_DAY + timedelta(days=day - (day + 3) % 7)


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
    """Reviews published and action items done, of the incidents in ``scope``: each row
    looks its incident up (there are far fewer reviews and items than incidents)."""
    reviews = uow.session.execute(
        select(func.count(), func.count(case((Review.status == "published", 1))))
        .select_from(Review)
        .join(Incident, Incident.id == Review.incident_id)
        .where(scope)
    ).one()
    ids = select(Incident.id).where(Incident.id == ActionItem.incident_id, scope)
    items = completion_rate(uow, ActionItemFilter(incident_ids=ids))
    return Rate(int(reviews[1]), int(reviews[0])), Rate(items.done, items.due)


def aggregate(uow: UnitOfWork, actor: Actor, f: MetricsFilter) -> Aggregates:
    """Every figure of the metrics page for ``f`` as ``actor`` sees it: one scan of the
    incidents (each time computed by the database from the incident's own columns) and
    two counts; the statistics are taken column by column."""
    scope = scope_clause(uow, actor, f)
    query = moments_query(uow, Incident.severity, Incident.type_key).where(scope)
    columns = moment_columns(uow, query, 2 + len(MOMENT_KEYS))
    count = len(columns[0])
    severities, types = columns[0], columns[1]
    moments = dict(zip(MOMENT_KEYS, columns[2:], strict=True))
    times = times_of_columns(moments)
    declared = moments["declared"]
    recover = times["time_to_recover"]
    reviews, items = _rates(uow, scope)
    return Aggregates(
        count=count,
        times={key: stats_of([v for v in times[key] if v is not None]) for key in TIME_KEYS},
        per_week=_weeks(_week_counts(declared), f),
        by_severity=_breakdowns(severities, recover),
        by_type=_breakdowns(types, recover),
        reviews=reviews,
        action_items=items,
    )


def _week_counts(declared: Sequence[float]) -> dict[date, int]:
    """Incidents per week (Monday, UTC) from their declaration times (epoch seconds)."""
    days = Counter(math.floor(seconds / 86400) for seconds in declared)
    weeks: Counter[int] = Counter()
    for day, n in days.items():
        weeks[day - (day + 3) % 7] += n
    return {EPOCH_DAY + timedelta(days=monday): n for monday, n in weeks.items()}


def _breakdowns(
    keys: Sequence[Any], recover: Sequence[float | None]
) -> dict[Any, tuple[int, float | None]]:
    """Count and median time to recover per key (severity or type), in key order."""
    grouped: dict[Any, list[float | None]] = {}
    for key, value in zip(keys, recover, strict=True):
        grouped.setdefault(key, []).append(value)
    return {key: _breakdown(values) for key, values in sorted(grouped.items())}


def _breakdown(recover_times: list[float | None]) -> tuple[int, float | None]:
    known = [t for t in recover_times if t is not None]
    return len(recover_times), round(statistics.median(known), 3) if known else None


def utc_day(value: date) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=UTC)
