"""Alert volume and noise over a filter: how many alerts came in, per day or week, and
what share of them was noise.

Definitions (each read from what intake and the lifecycle record on the alert row):

- an alert belongs to the period in which it was *first seen*;
- **suppressed**: intake suppressed it (``suppressed_reason`` set: a maintenance window or
  a routing rule); it did not page;
- **flapping**: intake marked it flapping (``flapping``): its dedup key re-triggered
  ``flap_threshold`` times within the service's flap window (see
  :mod:`muster.domain.alerts.ingest` and the service's alert handling settings);
- **never acknowledged**: resolved while ``acknowledged_at`` is empty. An alert that was
  acknowledged, put back to triggered by an escalation's re-trigger and then resolved
  without a second acknowledgement counts as never acknowledged too: the re-trigger
  clears the acknowledgement. Open alerts are in neither share's numerator.

Everything is computed with SQL aggregates (one pass per figure), so a year of a
million alerts is counted in the database, not in Python.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert
from muster.domain.catalog.models import Service
from muster.errors import FieldError, InvalidInput

MAX_RANGE = timedelta(days=366)
DEFAULT_DAYS = 28
BUCKETS = ("day", "week")
TOP = 10


@dataclass(frozen=True)
class NoiseFilter:
    """``[start, end)`` in UTC; optionally one service or the services of one team."""

    start: datetime
    end: datetime
    service_id: str | None = None
    team_id: str | None = None
    bucket: str = "day"


@dataclass(frozen=True)
class NoiseCounts:
    total: int = 0
    suppressed: int = 0
    flapping: int = 0
    never_acknowledged: int = 0
    resolved: int = 0

    def share(self, part: int) -> float:
        """``part`` over all alerts, 0..1 (0 when there are none)."""
        return part / self.total if self.total else 0.0

    @property
    def suppressed_share(self) -> float:
        return self.share(self.suppressed)

    @property
    def flapping_share(self) -> float:
        return self.share(self.flapping)

    @property
    def never_acknowledged_share(self) -> float:
        return self.share(self.never_acknowledged)


@dataclass(frozen=True)
class NoiseBucket:
    start: date
    counts: NoiseCounts


@dataclass(frozen=True)
class NoisyItem:
    """A service, or one dedup key of a service, with its counts."""

    service_id: str
    service_name: str
    counts: NoiseCounts
    dedup_key: str | None = None
    summary: str = ""


@dataclass(frozen=True)
class AlertNoise:
    filter: NoiseFilter
    summary: NoiseCounts
    series: list[NoiseBucket] = field(default_factory=list)
    top_services: list[NoisyItem] = field(default_factory=list)
    top_alerts: list[NoisyItem] = field(default_factory=list)


def parse_range(
    params: Mapping[str, str], now: datetime, default_days: int = DEFAULT_DAYS
) -> tuple[datetime, datetime]:
    """``since`` and ``until`` (``YYYY-MM-DD``, UTC days; ``until`` not included) from query
    parameters; by default the ``default_days`` days up to and including today."""
    errors: list[FieldError] = []
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        value = (params.get(name) or "").strip()[:10]
        try:
            days[name] = date.fromisoformat(value) if value else None
        except ValueError:
            errors.append(FieldError(name, "give a day as YYYY-MM-DD"))
            days[name] = None
    if errors:
        raise InvalidInput("bad range", errors=errors)
    until = days["until"] or now.astimezone(UTC).date() + timedelta(days=1)
    since = days["since"] or until - timedelta(days=default_days)
    midnight = time(0, tzinfo=UTC)
    return datetime.combine(since, midnight), datetime.combine(until, midnight)


def parse_noise_filter(params: Mapping[str, str], now: datetime) -> NoiseFilter:
    """The filter named by query parameters ``since``, ``until``, ``service``, ``team`` and
    ``bucket``; :class:`InvalidInput` naming each bad field (:func:`check_noise_filter`)."""
    start, end = parse_range(params, now)
    f = NoiseFilter(
        start=start, end=end, service_id=(params.get("service") or "").strip() or None,
        team_id=(params.get("team") or "").strip() or None,
        bucket=(params.get("bucket") or "").strip() or "day",
    )  # fmt: skip
    check_noise_filter(f)
    return f


def noise_params(f: NoiseFilter) -> dict[str, str]:
    """The query parameters naming ``f`` (the inverse of :func:`parse_noise_filter`)."""
    found = {
        "since": f.start.date().isoformat(), "until": f.end.date().isoformat(),
        "service": f.service_id or "", "team": f.team_id or "",
        "bucket": "" if f.bucket == "day" else f.bucket,
    }  # fmt: skip
    return {k: v for k, v in found.items() if v}


def check_noise_filter(f: NoiseFilter) -> None:
    """Precondition of :func:`alert_noise`: aware datetimes, start before end, a range of
    at most :data:`MAX_RANGE`, a known bucket."""
    errors: list[FieldError] = []
    if f.start.tzinfo is None or f.end.tzinfo is None:
        errors.append(FieldError("start", "must carry a time zone"))
    elif f.start >= f.end:
        errors.append(FieldError("end", "must be after start"))
    elif f.end - f.start > MAX_RANGE:
        errors.append(FieldError("end", f"the range may span at most {MAX_RANGE.days} days"))
    if f.bucket not in BUCKETS:
        errors.append(FieldError("bucket", "must be day or week"))
    if errors:
        raise InvalidInput("invalid alert metrics filter", errors=errors)


def _counts_columns() -> list[Any]:
    return [
        func.count(),
        func.sum(case((Alert.suppressed_reason.is_not(None), 1), else_=0)),
        func.sum(case((Alert.flapping.is_(True), 1), else_=0)),
        func.sum(
            case(((Alert.status == "resolved") & Alert.acknowledged_at.is_(None), 1), else_=0)
        ),
        func.sum(case((Alert.status == "resolved", 1), else_=0)),
    ]


def _counts(row: Any, offset: int = 0) -> NoiseCounts:
    values = [int(v or 0) for v in tuple(row)[offset : offset + 5]]
    return NoiseCounts(*values)


def _where(f: NoiseFilter) -> list[ColumnElement[bool]]:
    # last_seen >= start follows from first_seen >= start; said aloud, it lets the database
    # use the last_seen index to skip the alerts older than the range.
    where: list[ColumnElement[bool]] = [
        Alert.first_seen >= f.start, Alert.first_seen < f.end, Alert.last_seen >= f.start,
        Alert.exercise_run_id.is_(None),  # drill alerts are no noise (muster.domain.exercises)
    ]  # fmt: skip
    if f.service_id:
        where.append(Alert.service_id == f.service_id)
    if f.team_id:
        where.append(Alert.service_id.in_(select(Service.id).where(Service.team_id == f.team_id)))
    return where


def _day(uow: UnitOfWork) -> ColumnElement[str]:
    """The UTC calendar day of ``first_seen`` as ``YYYY-MM-DD`` text."""
    if uow.dialect == "postgresql":
        return func.to_char(func.timezone("UTC", Alert.first_seen), "YYYY-MM-DD")
    return func.substr(Alert.first_seen, 1, 10)  # SQLite keeps "YYYY-MM-DD HH:MM:SS..."


def alert_noise(uow: UnitOfWork, f: NoiseFilter, *, top: int = TOP) -> AlertNoise:
    """Volume and noise of the alerts first seen in ``f``'s range: two aggregate scans,
    one by (day, service) that gives the summary, the series and the services, one by
    dedup key for the noisiest alerts. Precondition: :func:`check_noise_filter` (called
    here)."""
    check_noise_filter(f)
    where = _where(f)
    day = _day(uow)
    stmt: Select[Any] = (
        select(day, Alert.service_id, *_counts_columns())
        .where(*where)
        .group_by(day, Alert.service_id)
    )
    by_day: dict[date, NoiseCounts] = {}
    by_service: dict[str, NoiseCounts] = {}
    summary = NoiseCounts()
    for row in uow.session.execute(stmt):
        counts, when, service_id = _counts(row, 2), date.fromisoformat(str(row[0])), row[1]
        by_day[when] = _add(by_day.get(when, NoiseCounts()), counts)
        by_service[service_id] = _add(by_service.get(service_id, NoiseCounts()), counts)
        summary = _add(summary, counts)
    busiest = sorted(by_service.items(), key=lambda kv: (-kv[1].total, kv[0]))[:top]
    names = service_names(uow, {sid for sid, _c in busiest})
    return AlertNoise(
        filter=f,
        summary=summary,
        series=_series(f, by_day),
        top_services=[NoisyItem(sid, names.get(sid, sid), c) for sid, c in busiest],
        top_alerts=_top_alerts(uow, where, top),
    )


def _series(f: NoiseFilter, by_day: dict[date, NoiseCounts]) -> list[NoiseBucket]:
    """One bucket per UTC day (or ISO week, Monday first) of the range, empty ones too."""
    buckets: OrderedDict[date, NoiseCounts] = OrderedDict()
    first, last = (
        f.start.astimezone(UTC).date(),
        (f.end - timedelta(microseconds=1)).astimezone(UTC).date(),
    )
    current = first
    while current <= last:
        key = current if f.bucket == "day" else current - timedelta(days=current.weekday())
        buckets[key] = _add(buckets.get(key, NoiseCounts()), by_day.get(current, NoiseCounts()))
        current += timedelta(days=1)
    return [NoiseBucket(k, v) for k, v in buckets.items()]


def _add(a: NoiseCounts, b: NoiseCounts) -> NoiseCounts:
    return NoiseCounts(
        a.total + b.total, a.suppressed + b.suppressed, a.flapping + b.flapping,
        a.never_acknowledged + b.never_acknowledged, a.resolved + b.resolved,
    )  # fmt: skip


def _top_alerts(uow: UnitOfWork, where: list[ColumnElement[bool]], top: int) -> list[NoisyItem]:
    """The dedup keys that came in most often (a key re-triggering is one alert each
    time), with the summary of the key's latest alert in the range."""
    total = func.count()
    stmt = (
        select(Alert.service_id, Alert.dedup_key, *_counts_columns())
        .where(*where)
        .group_by(Alert.service_id, Alert.dedup_key)
        .order_by(total.desc(), Alert.service_id, Alert.dedup_key)
        .limit(top)
    )
    rows = uow.session.execute(stmt).all()
    names = service_names(uow, {r[0] for r in rows})
    out = []
    for r in rows:
        latest = (
            select(Alert.summary)
            .where(*where, Alert.service_id == r[0], Alert.dedup_key == r[1])
            .order_by(Alert.first_seen.desc())
            .limit(1)
        )
        summary = uow.session.scalar(latest) or ""
        out.append(NoisyItem(r[0], str(names.get(r[0], r[0])), _counts(r, 2), r[1], summary))
    return out


def service_names(uow: UnitOfWork, ids: set[str]) -> dict[str, str]:
    """Service id -> name, for these ids."""
    if not ids:
        return {}
    stmt = select(Service.id, Service.name).where(Service.id.in_(sorted(ids)))
    return {sid: name for sid, name in uow.session.execute(stmt)}


Cell = str | int | float | bool


def noise_table(noise: AlertNoise, table: str) -> list[list[Cell]]:
    """The numbers of one chart or table of the page, header row first: ``series``,
    ``services`` or ``alerts``. The CSV and the API give exactly these."""
    head: list[Cell] = ["total", "suppressed", "flapping", "never_acknowledged", "resolved"]

    def nums(c: NoiseCounts) -> list[Cell]:
        return [c.total, c.suppressed, c.flapping, c.never_acknowledged, c.resolved]

    if table == "series":
        return [[noise.filter.bucket, *head]] + [
            [b.start.isoformat(), *nums(b.counts)] for b in noise.series
        ]
    if table == "services":
        return [["service_id", "service", *head]] + [
            [i.service_id, i.service_name, *nums(i.counts)] for i in noise.top_services
        ]
    if table == "alerts":
        return [["service_id", "service", "dedup_key", "summary", *head]] + [
            [i.service_id, i.service_name, i.dedup_key or "", i.summary, *nums(i.counts)]
            for i in noise.top_alerts
        ]
    raise InvalidInput(
        "unknown table", errors=[FieldError("table", "must be series, services or alerts")]
    )


def noise_summary(noise: AlertNoise) -> dict[str, Cell]:
    s = noise.summary
    return {
        "total": s.total, "suppressed": s.suppressed, "flapping": s.flapping,
        "never_acknowledged": s.never_acknowledged, "resolved": s.resolved,
        "suppressed_share": s.suppressed_share, "flapping_share": s.flapping_share,
        "never_acknowledged_share": s.never_acknowledged_share,
    }  # fmt: skip
