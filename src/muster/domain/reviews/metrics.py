"""How fast an incident was handled: the response times of one incident, or of many at
once (a few queries for any number), for the review and the metrics page.

Every time is in seconds, from one moment to a later one. A moment that never happened
(a skipped phase, no alerts, no Commander yet) gives ``None`` — never zero — and the
aggregates leave it out of that figure.

The moments besides the incident's own phase times — impact start, first
acknowledgement, Commander engaged — are defined and kept on the incident by
:mod:`muster.domain.incidents.metric_moments`.

* **time to detect** (MTTD) = ``detected_at`` - impact start; None without linked alerts
  (people's own detection time is then the only evidence, and it measures nothing).
  Negative gaps (someone backdated ``detected_at`` before the alert) count as zero.
* **time to acknowledge** (MTTA) = first acknowledgement - ``detected_at``, where the
  first acknowledgement is the earliest of: a linked alert group acknowledged, a person
  taking any incident role, and the declaration itself when a person (not an
  integration, the engine or a script) declared it: ``declared_by`` is that person's
  email. Never before detection (floored at 0).
* **time to declare** = ``declared_at`` - ``detected_at``.
* **time to engage the Commander** = the first Incident Commander assignment -
  ``declared_at`` (0 when named at declaration); None when nobody ever held the role.
* **time to contain** (MTTC) = ``contained_at`` - ``detected_at``; None when the
  incident never entered "contained" (skipped straight to recovery or resolution).
* **time to recover** (MTTR, "time to restore service" in DORA/PagerDuty terms) =
  ``resolved_at`` - ``detected_at``: until the impact was over. None while unresolved.
* **time to resolve** (Atlassian's "mean time to resolve", follow-up included) =
  ``closed_at`` - ``detected_at``: until the incident was closed after its review.

Reopened incidents: a reopen clears ``resolved_at``/``closed_at`` (see
:mod:`muster.domain.incidents.transitions`) and the next resolution sets them again, so
both times run to the *final* resolution and close; ``reopened`` says it happened. The
phase times come from :func:`muster.domain.incidents.lifecycle.phase_spans`.

Pages: each request to notify one person about the incident — a page of one of its
linked alert groups (outbox rows of purpose ``page``) or an incident page (outbox rows
of purpose ``incident`` for ``incident.commander_needed``/``participant_added``) — counted
once however many contact methods it used; people paged: distinct persons among them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    cast,
    func,
    literal,
    select,
)

from muster.db.uow import UnitOfWork
from muster.domain.events.models import Event
from muster.domain.incidents.lifecycle import phase_spans
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.notify.incident_notices import PAGES
from muster.domain.notify.incident_notices import PURPOSE as INCIDENT_PURPOSE
from muster.domain.notify.models import OutboxMessage

# The figures, in the order pages and CSV show them: (key, label, abbreviation).
TIMES = (
    ("time_to_detect", "Time to detect", "MTTD"),
    ("time_to_acknowledge", "Time to acknowledge", "MTTA"),
    ("time_to_declare", "Time to declare", ""),
    ("time_to_engage_commander", "Time to engage the Commander", ""),
    ("time_to_contain", "Time to contain", "MTTC"),
    ("time_to_recover", "Time to recover", "MTTR"),
    ("time_to_resolve", "Time to resolve", ""),
)
TIME_KEYS = tuple(key for key, _label, _abbr in TIMES)

# The moments the times are measured between, columns of Incident.
MOMENTS: dict[str, Any] = {
    "detected": Incident.detected_at,
    "declared": Incident.declared_at,
    "contained": Incident.contained_at,
    "resolved": Incident.resolved_at,
    "closed": Incident.closed_at,
    "impact": Incident.impact_started_at,
    "acknowledged": Incident.first_acknowledged_at,
    "commander": Incident.commander_engaged_at,
}
MOMENT_KEYS = tuple(MOMENTS)

# Each time: (later moment, earlier moment, floored at zero).
SPANS: dict[str, tuple[str, str, bool]] = {
    "time_to_detect": ("detected", "impact", True),
    "time_to_acknowledge": ("acknowledged", "detected", True),
    "time_to_declare": ("declared", "detected", False),
    "time_to_engage_commander": ("commander", "declared", True),
    "time_to_contain": ("contained", "detected", False),
    "time_to_recover": ("resolved", "detected", False),
    "time_to_resolve": ("closed", "detected", False),
}


def gaps(
    later: Sequence[float | None], earlier: Sequence[float | None], floor: bool
) -> list[float | None]:
    """``later`` - ``earlier`` element by element, in seconds; None where either moment is
    unknown; negative gaps as 0 when ``floor``. Not rounded: epoch seconds from SQLite
    carry float noise below the millisecond, which the figures round away."""
    if floor:
        return [
            None if b is None or a is None else max(b - a, 0.0)
            for b, a in zip(later, earlier, strict=True)
        ]
    return [None if b is None or a is None else b - a for b, a in zip(later, earlier, strict=True)]


def times_of_columns(
    moments: Mapping[str, Sequence[float | None]],
) -> dict[str, list[float | None]]:
    """Each of :data:`TIME_KEYS` for many incidents at once, from their moments (epoch
    seconds) given column by column."""
    return {
        key: gaps(moments[later], moments[earlier], floor)
        for key, (later, earlier, floor) in SPANS.items()
    }


@dataclass(frozen=True, slots=True)
class IncidentMetrics:
    incident_id: str
    times: dict[str, float | None]
    reopened: bool
    phases: list[tuple[str, int]] = field(default_factory=list)  # (phase, seconds)
    pages: int = 0
    people_paged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident_id": self.incident_id, **self.times, "reopened": self.reopened,
            "phases": [{"phase": p, "seconds": s} for p, s in self.phases],
            "pages": self.pages, "people_paged": self.people_paged,
        }  # fmt: skip


# ---------------------------------------------------------------- queries


def epoch(uow: UnitOfWork, column: Any) -> ColumnElement[Any]:
    """``column`` (a UTC datetime) as epoch seconds, computed by the database."""
    if uow.dialect == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * literal(86400.0)


def moments_query(uow: UnitOfWork, *columns: Any) -> Select[Any]:
    """A select of ``columns`` followed by each of :data:`MOMENT_KEYS` in epoch seconds
    (or NULL), one row per incident, to be narrowed with ``where``: one table, no joins."""
    return select(*columns, *(epoch(uow, MOMENTS[key]) for key in MOMENT_KEYS))


def moment_columns(uow: UnitOfWork, query: Select[Any], width: int) -> list[list[Any]]:
    """The ``width`` columns of :func:`moments_query` ``query``'s rows, column by column.

    Rows are read from the database driver as it gives them: every column of a moments
    query is a number or a string the driver already returns as such, and skipping the
    per-row result machinery halves the time over 100,000 incidents."""
    result = uow.session.connection().execute(query)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


def times_for(uow: UnitOfWork, where: ColumnElement[bool]) -> dict[str, dict[str, float | None]]:
    """The times of every incident matching ``where`` (a clause on :class:`Incident`),
    by incident id, rounded to the millisecond: one query, whatever the number."""
    query = moments_query(uow, Incident.id).where(where)
    columns = moment_columns(uow, query, 1 + len(MOMENT_KEYS))
    times = times_of_columns(dict(zip(MOMENT_KEYS, columns[1:], strict=True)))
    return {
        incident_id: {key: _rounded(times[key][i]) for key in TIME_KEYS}
        for i, incident_id in enumerate(columns[0])
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def pages_for(uow: UnitOfWork, incident_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(pages, people paged) per incident, as the module docstring defines them."""
    ids = list(incident_ids)
    requests: dict[str, set[tuple[str | None, str | None]]] = {i: set() for i in ids}
    if not ids:
        return {}
    group_pages = (
        select(IncidentAlertGroup.incident_id, OutboxMessage.request_event_id,
               OutboxMessage.user_id)
        .join(OutboxMessage, OutboxMessage.group_id == IncidentAlertGroup.group_id)
        .where(IncidentAlertGroup.incident_id.in_(ids), OutboxMessage.purpose == "page")
    )  # fmt: skip
    incident_pages = (
        select(Event.subject_id, OutboxMessage.request_event_id, OutboxMessage.user_id)
        .join(OutboxMessage, OutboxMessage.request_event_id == Event.id)
        .where(
            and_(Event.subject_type == "incident", Event.subject_id.in_(ids)),
            Event.type.in_(sorted(PAGES)),
            OutboxMessage.purpose == INCIDENT_PURPOSE,
        )
    )
    for query in (group_pages, incident_pages):
        for incident_id, request_id, user_id in uow.session.execute(query):
            requests[incident_id].add((request_id, user_id))
    return {
        i: (len(found), len({user for _req, user in found if user is not None}))
        for i, found in requests.items()
    }


def incident_metrics(uow: UnitOfWork, incident: Incident) -> IncidentMetrics:
    """The metrics of one incident (the caller has checked the viewer may see it)."""
    times = times_for(uow, Incident.id == incident.id)[incident.id]
    spans = phase_spans(incident)
    pages, people = pages_for(uow, [incident.id])[incident.id]
    return IncidentMetrics(
        incident_id=incident.id,
        times=times,
        reopened=incident.reopened_at is not None,
        phases=[(span.phase, span.seconds(uow.now)) for span in spans],
        pages=pages,
        people_paged=people,
    )


def incident_metrics_batch(uow: UnitOfWork, incidents: list[Incident]) -> list[IncidentMetrics]:
    """:func:`incident_metrics` of many incidents in four queries."""
    ids = [i.id for i in incidents]
    times = times_for(uow, Incident.id.in_(ids)) if ids else {}
    pages = pages_for(uow, ids)
    return [
        IncidentMetrics(
            incident_id=i.id,
            times=times[i.id],
            reopened=i.reopened_at is not None,
            phases=[(s.phase, s.seconds(uow.now)) for s in phase_spans(i)],
            pages=pages[i.id][0],
            people_paged=pages[i.id][1],
        )
        for i in incidents
    ]
