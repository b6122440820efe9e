"""The on-call health report of a team over a period: who was paged how often, how often
at night, per shift, and by which services, so a manager sees who is burning out.

Definitions:

- **a page** is one paging request delivered to a person: outbox rows of purpose
  ``page`` that were sent, counted once per (person, paging request) however many contact
  methods it went to; its time is the first delivery;
- **the team's people** are its current members and whoever held a final shift of one
  of its schedules in the period; all pages delivered to them count (a person paged by
  another team's service is still woken up), and the busiest services say whose they were;
- **a night page** is a page delivered between :data:`NIGHT` start and end (22:00-07:00
  by default) in the person's own time zone (``User.time_zone``). Muster has no working
  hours per person; the night hours are a parameter of the report;
- **pages per shift**: the final shifts of the team's (active) schedules, each with the
  pages delivered to its person during it;
- **the burn-out rule** (``night_limit``): a person is highlighted when their night
  pages per week over the period (weeks counted as at least one) exceed the limit,
  2 by default.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, User
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.notify.models import OutboxMessage
from muster.domain.oncall.load import load_specs
from muster.domain.oncall.models import Schedule
from muster.domain.oncall.resolve import final_shifts
from muster.domain.reviews.alert_noise import Cell, parse_range, service_names
from muster.errors import FieldError, InvalidInput, PermissionDenied

MAX_RANGE = timedelta(days=186)
NIGHT_LIMIT_PER_WEEK = 2.0


@dataclass(frozen=True)
class NightHours:
    start: time = time(22, 0)
    end: time = time(7, 0)

    def contains(self, at: time) -> bool:
        if self.start > self.end:  # across midnight
            return at >= self.start or at < self.end
        return self.start <= at < self.end

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


NIGHT = NightHours()


@dataclass(frozen=True)
class Page:
    user_id: str
    at: datetime
    service_id: str | None
    night: bool


@dataclass(frozen=True)
class PersonHealth:
    user_id: str
    name: str
    time_zone: str
    pages: int
    night_pages: int
    shifts: int
    on_call_hours: float
    pages_in_shifts: int
    night_pages_per_week: float
    over_limit: bool

    @property
    def pages_per_shift(self) -> float:
        return self.pages_in_shifts / self.shifts if self.shifts else 0.0


@dataclass(frozen=True)
class ShiftHealth:
    schedule_id: str
    schedule_name: str
    user_id: str
    user_name: str
    start: datetime
    end: datetime
    pages: int
    night_pages: int


@dataclass(frozen=True)
class ServiceLoad:
    service_id: str
    name: str
    pages: int
    night_pages: int


@dataclass(frozen=True)
class OnCallHealth:
    team_id: str
    team_name: str
    start: datetime
    end: datetime
    night: NightHours
    night_limit: float
    people: list[PersonHealth]
    shifts: list[ShiftHealth]
    services: list[ServiceLoad]

    @property
    def pages(self) -> int:
        return sum(p.pages for p in self.people)

    @property
    def night_pages(self) -> int:
        return sum(p.night_pages for p in self.people)

    @property
    def pages_per_shift(self) -> float:
        return sum(s.pages for s in self.shifts) / len(self.shifts) if self.shifts else 0.0


@dataclass(frozen=True)
class HealthQuery:
    start: datetime
    end: datetime
    night: NightHours = NIGHT
    night_limit: float = NIGHT_LIMIT_PER_WEEK


def parse_health_query(params: Mapping[str, str], now: datetime) -> HealthQuery:
    """``since``/``until`` (days, as on the alert metrics), ``night_start``/``night_end``
    (``HH:MM``) and ``limit`` (night pages per week); :class:`InvalidInput` naming each bad
    field."""
    start, end = parse_range(params, now)
    check_range(start, end)
    errors: list[FieldError] = []
    hours = []
    for name, default in (("night_start", NIGHT.start), ("night_end", NIGHT.end)):
        value = (params.get(name) or "").strip()
        try:
            hours.append(time.fromisoformat(value) if value else default)
        except ValueError:
            errors.append(FieldError(name, "give a time as HH:MM"))
            hours.append(default)
    limit = NIGHT_LIMIT_PER_WEEK
    raw = (params.get("limit") or "").strip()
    if raw:
        try:
            limit = float(raw)
            if not 0 <= limit <= 1000:
                raise ValueError(raw)
        except ValueError:
            errors.append(FieldError("limit", "give a number of night pages per week, 0-1000"))
    if not errors and hours[0] == hours[1]:
        errors.append(FieldError("night_end", "must differ from night_start"))
    if errors:
        raise InvalidInput("bad on-call health query", errors=errors)
    return HealthQuery(start, end, NightHours(hours[0], hours[1]), limit)


def health_params(q: HealthQuery) -> dict[str, str]:
    """The query parameters naming ``q`` (the inverse of :func:`parse_health_query`)."""
    found = {
        "since": q.start.date().isoformat(), "until": q.end.date().isoformat(),
        "night_start": "" if q.night.start == NIGHT.start else f"{q.night.start:%H:%M}",
        "night_end": "" if q.night.end == NIGHT.end else f"{q.night.end:%H:%M}",
        "limit": "" if q.night_limit == NIGHT_LIMIT_PER_WEEK else f"{q.night_limit:g}",
    }  # fmt: skip
    return {k: v for k, v in found.items() if v}


def check_can_view_health(actor: Actor, team: Team) -> None:
    """Per-person paging load is for managers and admins, and for the team's own members."""
    if actor.role >= Role.MANAGER:
        return
    if actor.id is not None and any(m.user_id == actor.id for m in team.members):
        return
    raise PermissionDenied("the on-call health report is for managers and the team's members")


def check_range(start: datetime, end: datetime) -> None:
    """Aware datetimes, start before end, at most :data:`MAX_RANGE`."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("invalid range", errors=[FieldError("start", "must carry a time zone")])
    if start >= end:
        raise InvalidInput("invalid range", errors=[FieldError("end", "must be after start")])
    if end - start > MAX_RANGE:
        raise InvalidInput(
            "invalid range", errors=[FieldError("end", f"at most {MAX_RANGE.days} days")]
        )


def team_pages(
    uow: UnitOfWork, user_ids: set[str], start: datetime, end: datetime, night: NightHours = NIGHT
) -> list[Page]:
    """The pages delivered to these people in ``[start, end)``, first delivery first."""
    if not user_ids:
        return []
    request = func.coalesce(OutboxMessage.request_event_id, OutboxMessage.id)
    stmt = (
        select(
            OutboxMessage.user_id, func.min(OutboxMessage.sent_at), func.max(AlertGroup.service_id)
        )
        .outerjoin(AlertGroup, AlertGroup.id == OutboxMessage.group_id)
        .outerjoin(Service, Service.id == AlertGroup.service_id)
        .where(
            Service.exercise_run_id.is_(None),  # drill pages are no on-call load
            OutboxMessage.purpose == "page",
            OutboxMessage.status == "sent",
            OutboxMessage.sent_at >= start,
            OutboxMessage.sent_at < end,
            OutboxMessage.user_id.in_(sorted(user_ids)),
        )
        .group_by(OutboxMessage.user_id, request)
    )
    zones = _zones(uow, user_ids)
    pages = []
    for user_id, at, service_id in uow.session.execute(stmt):
        assert user_id is not None  # filtered on above
        local = _aware(at).astimezone(zones.get(user_id, ZoneInfo("UTC")))
        pages.append(Page(user_id, _aware(at), service_id, night.contains(local.time())))
    return sorted(pages, key=lambda p: (p.at, p.user_id))


def _aware(at: Any) -> datetime:
    assert isinstance(at, datetime)
    assert at.tzinfo is not None  # UTCDateTime gives them aware
    return at


def _zones(uow: UnitOfWork, user_ids: set[str]) -> dict[str, ZoneInfo]:
    rows = uow.session.execute(select(User.id, User.time_zone).where(User.id.in_(sorted(user_ids))))
    out: dict[str, ZoneInfo] = {}
    for user_id, zone in rows:
        try:
            out[user_id] = ZoneInfo(zone or "UTC")
        except (KeyError, ValueError):
            out[user_id] = ZoneInfo("UTC")
    return out


def oncall_health(
    uow: UnitOfWork, team: Team, start: datetime, end: datetime, *,
    night: NightHours = NIGHT, night_limit: float = NIGHT_LIMIT_PER_WEEK,
) -> OnCallHealth:  # fmt: skip
    """The report of ``team`` over ``[start, end)``. Precondition: :func:`check_range`
    (called here) and that the caller may see it (:func:`check_can_view_health`)."""
    check_range(start, end)
    schedules = list(
        uow.session.scalars(
            select(Schedule)
            .where(Schedule.team_id == team.id, Schedule.archived_at.is_(None))
            .order_by(Schedule.name)
        )
    )
    specs = load_specs(
        uow,
        schedules,
        {s.id: (start - timedelta(days=1), end + timedelta(days=1)) for s in schedules},
    )
    raw_shifts = [(s, shift) for s in schedules for shift in final_shifts(specs[s.id], start, end)]
    people = {m.user_id for m in team.members} | {shift.user_id for _, shift in raw_shifts}
    users = {u.id: u for u in uow.session.scalars(select(User).where(User.id.in_(sorted(people))))}
    people &= set(users)
    pages = team_pages(uow, people, start, end, night)
    by_user: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        by_user[page.user_id].append(page)
    shifts = []
    for schedule, shift in raw_shifts:
        inside = [p for p in by_user.get(shift.user_id, []) if shift.start <= p.at < shift.end]
        name = users[shift.user_id].name if shift.user_id in users else shift.user_id
        shifts.append(ShiftHealth(schedule.id, schedule.name, shift.user_id, name, shift.start,
                                  shift.end, len(inside), sum(p.night for p in inside)))  # fmt: skip
    weeks = max((end - start) / timedelta(days=7), 1.0)
    rows = []
    for user_id in people:
        own = by_user.get(user_id, [])
        mine = [s for s in shifts if s.user_id == user_id]
        nights = sum(p.night for p in own)
        rows.append(PersonHealth(
            user_id, users[user_id].name, users[user_id].time_zone, len(own), nights, len(mine),
            round(sum((s.end - s.start).total_seconds() for s in mine) / 3600, 1),
            sum(s.pages for s in mine), round(nights / weeks, 2), nights / weeks > night_limit,
        ))  # fmt: skip
    rows.sort(key=lambda p: (-p.night_pages, -p.pages, p.name.lower()))
    return OnCallHealth(team.id, team.name, start, end, night, night_limit, rows,
                        sorted(shifts, key=lambda s: (s.start, s.schedule_name)),
                        _services(uow, pages))  # fmt: skip


def _services(uow: UnitOfWork, pages: list[Page]) -> list[ServiceLoad]:
    """Services by pages delivered to the team's people, busiest first."""
    count: Counter[str] = Counter(p.service_id for p in pages if p.service_id)
    nights: Counter[str] = Counter(p.service_id for p in pages if p.service_id and p.night)
    names = service_names(uow, set(count))
    loads = [ServiceLoad(sid, names.get(sid, sid), n, nights[sid]) for sid, n in count.items()]
    return sorted(loads, key=lambda s: (-s.pages, s.name.lower()))


def health_table(report: OnCallHealth, table: str) -> list[list[Cell]]:
    """The numbers of one table of the report, header row first: ``people``, ``shifts`` or
    ``services``. The CSV and the API give exactly these."""
    rows: list[list[Cell]]
    if table == "people":
        rows = [
            [
                "user_id",
                "name",
                "time_zone",
                "pages",
                "night_pages",
                "shifts",
                "on_call_hours",
                "pages_in_shifts",
                "night_pages_per_week",
                "over_limit",
            ]
        ]
        rows += [
            [
                p.user_id,
                p.name,
                p.time_zone,
                p.pages,
                p.night_pages,
                p.shifts,
                p.on_call_hours,
                p.pages_in_shifts,
                p.night_pages_per_week,
                p.over_limit,
            ]
            for p in report.people
        ]
        return rows  # fmt: skip
    if table == "shifts":
        rows = [
            ["schedule_id", "schedule", "user_id", "name", "start", "end", "pages", "night_pages"]
        ]
        rows += [
            [
                s.schedule_id,
                s.schedule_name,
                s.user_id,
                s.user_name,
                s.start.isoformat(),
                s.end.isoformat(),
                s.pages,
                s.night_pages,
            ]
            for s in report.shifts
        ]
        return rows  # fmt: skip
    if table == "services":
        rows = [["service_id", "service", "pages", "night_pages"]]
        rows += [[s.service_id, s.name, s.pages, s.night_pages] for s in report.services]
        return rows
    raise InvalidInput(
        "unknown table", errors=[FieldError("table", "must be people, shifts or services")]
    )


def health_summary(report: OnCallHealth) -> dict[str, Any]:
    return {
        "team_id": report.team_id, "team": report.team_name,
        "start": report.start.isoformat(), "end": report.end.isoformat(),
        "night": report.night.label, "night_limit_per_week": report.night_limit,
        "pages": report.pages, "night_pages": report.night_pages, "shifts": len(report.shifts),
        "pages_per_shift": round(report.pages_per_shift, 2),
        "over_limit": [p.user_id for p in report.people if p.over_limit],
    }  # fmt: skip
