"""The tables behind each chart of the metrics page: the one source of the numbers the
SVG charts draw, the CSV files and the API give (so they cannot disagree). Times are in
seconds; an unknown figure is None (an empty CSV cell, JSON null).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from muster.domain.reviews.aggregates import Aggregates, MetricsFilter
from muster.domain.reviews.metrics import TIMES
from muster.errors import FieldError, InvalidInput, NotFound

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "chart": self.key, "title": self.title,
            "items": [dict(zip(self.columns, row, strict=True)) for row in self.rows],
        }  # fmt: skip


CHARTS = ("per-week", "times", "by-severity", "by-type")


def chart_tables(agg: Aggregates) -> dict[str, Table]:
    """Every chart's table, by its key (:data:`CHARTS`)."""
    return {
        "per-week": Table(
            "per-week", "Incidents per week", ("week", "incidents"),
            [(week.isoformat(), n) for week, n in agg.per_week],
        ),
        "times": Table(
            "times", "Response times (seconds)",
            ("metric", "label", "incidents", "mean", "median", "p90"),
            [(key, label + (f" ({abbr})" if abbr else ""), s.n, s.mean, s.median, s.p90)
             for key, label, abbr in TIMES for s in (agg.times[key],)],
        ),
        "by-severity": Table(
            "by-severity", "Incidents by severity", ("severity", "incidents", "median_time_to_recover"),
            [(f"SEV{level}", n, median) for level, (n, median) in agg.by_severity.items()],
        ),
        "by-type": Table(
            "by-type", "Incidents by type", ("type", "incidents", "median_time_to_recover"),
            [(key, n, median) for key, (n, median) in agg.by_type.items()],
        ),
    }  # fmt: skip


def chart_table(agg: Aggregates, chart: str) -> Table:
    if chart not in CHARTS:
        raise NotFound(f"no chart {chart!r}; charts: {', '.join(CHARTS)}")
    return chart_tables(agg)[chart]


def summary(agg: Aggregates) -> dict[str, Any]:
    """The page's headline figures (the API's answer without the charts)."""
    return {
        "count": agg.count,
        "times": {
            key: {"n": s.n, "mean": s.mean, "median": s.median, "p90": s.p90}
            for key, s in agg.times.items()
        },
        "review_completion": {"done": agg.reviews.done, "total": agg.reviews.total,
                              "rate": agg.reviews.rate},
        "action_item_completion": {"done": agg.action_items.done,
                                   "total": agg.action_items.total,
                                   "rate": agg.action_items.rate},
    }  # fmt: skip


# ---------------------------------------------------------------- the filter as text

FILTER_FIELDS = ("since", "until", "service", "team", "type", "severity", "site")


def _day(name: str, value: str, errors: list[FieldError]) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(name, "give a date (YYYY-MM-DD) or an RFC 3339 time"))
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_filter(params: dict[str, str]) -> MetricsFilter:
    """The filter named by query parameters (:data:`FILTER_FIELDS`; empty ones ignored);
    :class:`InvalidInput` naming each bad field."""
    values = {k: (params.get(k) or "").strip() for k in FILTER_FIELDS}
    errors: list[FieldError] = []
    since = _day("since", values["since"], errors) if values["since"] else None
    until = _day("until", values["until"], errors) if values["until"] else None
    severity = None
    if values["severity"]:
        digits = values["severity"].upper().removeprefix("SEV")
        if digits.isdigit() and 1 <= int(digits) <= 5:
            severity = int(digits)
        else:
            errors.append(FieldError("severity", "give a level from 1 to 5"))
    if since and until and until <= since:
        errors.append(FieldError("until", "must be after since"))
    if errors:
        raise InvalidInput("bad filter", errors=errors)
    return MetricsFilter(
        since=since, until=until, service_id=values["service"] or None,
        team_id=values["team"] or None, type_key=values["type"] or None,
        severity=severity, site=values["site"] or None,
    )  # fmt: skip


def filter_params(f: MetricsFilter) -> dict[str, str]:
    """The query parameters naming ``f`` (the inverse of :func:`parse_filter`)."""
    found = {
        "since": f.since.isoformat() if f.since else "",
        "until": f.until.isoformat() if f.until else "",
        "service": f.service_id or "", "team": f.team_id or "", "type": f.type_key or "",
        "severity": str(f.severity) if f.severity else "", "site": f.site or "",
    }  # fmt: skip
    return {k: v for k, v in found.items() if v}
