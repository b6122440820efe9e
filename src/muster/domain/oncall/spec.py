"""The on-call schedule data model: pure, frozen values with no database or web.

Representation choices (read these before building a spec):

* Every datetime given to these classes must be timezone-aware; it is stored
  converted to UTC. A naive datetime raises ValueError.
* A schedule computes in the local wall time of ``ScheduleSpec.zone``.
* A :class:`Layer` is a ranked sequence of :class:`Rotation` *versions*.
  Editing a rotation means ending the current version (``effective_until=T``)
  and adding a new one (``effective_from=T``): what was on call before ``T``
  never changes. Versions of one layer must not overlap.
* :class:`Restriction` windows are weekly, in wall time: ``days`` are the
  weekdays (0=Monday .. 6=Sunday) on which a window *starts*; it runs from
  ``start`` to ``end``; ``end <= start`` wraps into the next day (weekdays
  18:00-09:00 is Mon 18:00 -> Tue 09:00, ..., Fri 18:00 -> Sat 09:00), and
  ``end == start`` is a whole 24 hours. Several restrictions are united.
* Precedence at an instant: overrides beat everything (temporary schedules
  included); then a temporary schedule, which replaces ALL layers over its
  period (inside it, nobody is on call outside its shifts); then the
  highest-ranked layer that has someone; a lower layer fills only where
  every higher layer has nobody. At most one person is on call.
* Overlapping overrides: at each instant the override with the latest
  ``created_at`` wins (ties: the greater ``id``).
* Output sources are strings ``"layer:<layer id>"``, ``"override:<override
  id>"`` and ``"temporary:<temporary schedule id>"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from muster.domain.oncall.walltime import require_utc
from muster.domain.oncall.weekly import WeekWindows, week_windows

TurnUnit = Literal["hours", "days", "weeks"]
_UNIT_STEP = {"hours": timedelta(hours=1), "days": timedelta(days=1), "weeks": timedelta(days=7)}


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _check_range(start: datetime, end: datetime, what: str) -> None:
    if not start < end:
        raise ValueError(f"{what}: start must be before end ({start} >= {end})")


@dataclass(frozen=True)
class Restriction:
    """A weekly wall-time window; see the module docstring for the wrap rule.

    Preconditions: ``days`` is a non-empty subset of 0..6; ``start``/``end``
    are naive times (wall clock of the schedule zone).
    """

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(f"restriction days must be a non-empty subset of 0..6: {self.days}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("restriction times are wall-clock times: give naive times")
        _set(self, "days", frozenset(self.days))


@dataclass(frozen=True)
class Rotation:
    """One version of a layer's rotation.

    ``participants[k % len(participants)]`` holds turn ``k``; turn 0 begins
    at ``start``, whose wall time in the schedule zone fixes the handoff time
    (handoffs at ``wall(start) + k * turn_length * unit`` in wall time, mapped
    to instants by the gap/fold rules of :mod:`.walltime`). Nobody is on call
    from this rotation before ``start``, outside its ``restrictions`` (empty
    = always), or outside ``[effective_from, effective_until)`` (None =
    unbounded). A user may appear several times in ``participants``.
    A turn whose whole wall-clock span falls in a DST gap (the 02:00 turn of
    an hourly rotation on a spring-forward day) is empty: its participant is
    skipped that cycle. ``turn_unit`` "weeks" means ``7 * turn_length`` days.
    """

    id: str
    participants: tuple[str, ...]
    start: datetime
    turn_length: int
    turn_unit: TurnUnit
    restrictions: tuple[Restriction, ...] = ()
    effective_from: datetime | None = None
    effective_until: datetime | None = None
    step: timedelta = field(init=False, repr=False, compare=False)
    windows: WeekWindows | None = field(init=False, repr=False, compare=False)
    single_user: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.participants:
            raise ValueError(f"rotation {self.id}: participants must not be empty")
        if self.turn_unit not in get_args(TurnUnit):
            raise ValueError(f"rotation {self.id}: unknown turn unit {self.turn_unit!r}")
        if self.turn_length < 1:
            raise ValueError(f"rotation {self.id}: turn_length must be >= 1")
        _set(self, "participants", tuple(self.participants))
        _set(self, "restrictions", tuple(self.restrictions))
        _set(self, "start", require_utc(self.start, "rotation start"))
        if self.effective_from is not None:
            _set(self, "effective_from", require_utc(self.effective_from, "effective_from"))
        if self.effective_until is not None:
            _set(self, "effective_until", require_utc(self.effective_until, "effective_until"))
        if self.effective_from is not None and self.effective_until is not None:
            _check_range(self.effective_from, self.effective_until, f"rotation {self.id}")
        _set(self, "step", _UNIT_STEP[self.turn_unit] * self.turn_length)
        _set(self, "windows", week_windows(self.restrictions))
        _set(self, "single_user", len(set(self.participants)) == 1)


@dataclass(frozen=True)
class Layer:
    """A ranked layer (higher ``rank`` wins) made of non-overlapping versions.

    Versions are stored sorted by ``effective_from``.
    """

    id: str
    rank: int
    versions: tuple[Rotation, ...]

    def __post_init__(self) -> None:
        def key(r: Rotation) -> tuple[bool, datetime]:
            return (r.effective_from is not None, r.effective_from or r.start)

        ordered = tuple(sorted(self.versions, key=key))
        for before, after in pairwise(ordered):
            if (
                before.effective_until is None
                or after.effective_from is None
                or before.effective_until > after.effective_from
            ):
                raise ValueError(
                    f"layer {self.id}: versions {before.id} and {after.id} overlap; "
                    "end one with effective_until where the next is effective_from"
                )
        _set(self, "versions", ordered)


@dataclass(frozen=True)
class Override:
    """``user_id`` is on call over ``[start, end)``, above everything else."""

    id: str
    user_id: str
    start: datetime
    end: datetime
    created_at: datetime

    def __post_init__(self) -> None:
        _set(self, "start", require_utc(self.start, "override start"))
        _set(self, "end", require_utc(self.end, "override end"))
        _set(self, "created_at", require_utc(self.created_at, "override created_at"))
        _check_range(self.start, self.end, f"override {self.id}")


@dataclass(frozen=True)
class TemporaryShift:
    """One shift of a temporary schedule: ``user_id`` over ``[start, end)``."""

    user_id: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _set(self, "start", require_utc(self.start, "temporary shift start"))
        _set(self, "end", require_utc(self.end, "temporary shift end"))
        _check_range(self.start, self.end, f"temporary shift of {self.user_id}")


@dataclass(frozen=True)
class TemporarySchedule:
    """Replaces all layers over ``[start, end)`` with ``shifts``.

    Preconditions: shifts lie inside ``[start, end)`` and do not overlap. They
    are stored sorted; nobody is on call in the period outside them.
    """

    id: str
    start: datetime
    end: datetime
    shifts: tuple[TemporaryShift, ...]

    def __post_init__(self) -> None:
        _set(self, "start", require_utc(self.start, "temporary start"))
        _set(self, "end", require_utc(self.end, "temporary end"))
        _check_range(self.start, self.end, f"temporary schedule {self.id}")
        ordered = tuple(sorted(self.shifts, key=lambda s: s.start))
        for shift in ordered:
            if shift.start < self.start or shift.end > self.end:
                raise ValueError(f"temporary schedule {self.id}: a shift lies outside it")
        for before, after in pairwise(ordered):
            if before.end > after.start:
                raise ValueError(f"temporary schedule {self.id}: shifts overlap")
        _set(self, "shifts", ordered)


@dataclass(frozen=True)
class Era:
    """How the schedule read before ``until`` (and from the previous era's ``until``):
    its zone then, and the rank each layer had (layers not named keep their own).

    Reordering layers or changing the zone from a time ``T`` ends an era at ``T``, so
    who was on call before ``T`` never changes.
    """

    until: datetime
    zone: str
    ranks: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        _set(self, "until", require_utc(self.until, "era until"))
        _set(self, "ranks", tuple(sorted(self.ranks)))


@dataclass(frozen=True)
class ScheduleSpec:
    """A whole schedule: zone, layers, overrides, temporary schedules, and ``history``:
    the earlier eras, when layers had other ranks or the schedule another zone (the
    ``zone`` and layer ranks given hold after the last era).

    Preconditions: ``zone`` is an IANA key; layer ids are unique; ranks are unique
    within each era; temporary schedules do not overlap each other.
    """

    zone: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()
    temporary: tuple[TemporarySchedule, ...] = ()
    history: tuple[Era, ...] = ()
    tz: ZoneInfo = field(init=False, repr=False, compare=False)
    layers_by_rank: tuple[Layer, ...] = field(init=False, repr=False, compare=False)
    eras: tuple[EraSpan, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            tz = ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.zone!r}") from exc
        _set(self, "tz", tz)
        _set(self, "layers", tuple(self.layers))
        _set(self, "overrides", tuple(self.overrides))
        temporary = tuple(sorted(self.temporary, key=lambda t: t.start))
        _set(self, "temporary", temporary)
        if len({layer.id for layer in self.layers}) != len(self.layers):
            raise ValueError("layer ids must be unique within a schedule")
        if len({layer.rank for layer in self.layers}) != len(self.layers):
            raise ValueError("layer ranks must be unique within a schedule")
        for before, after in pairwise(temporary):
            if before.end > after.start:
                raise ValueError(f"temporary schedules {before.id} and {after.id} overlap")
        by_rank = tuple(sorted(self.layers, key=lambda layer: layer.rank, reverse=True))
        _set(self, "layers_by_rank", by_rank)
        _set(self, "history", tuple(sorted(self.history, key=lambda era: era.until)))
        _set(self, "eras", self._eras())

    def _eras(self) -> tuple[EraSpan, ...]:
        """Each era as a spec of its own; empty when the schedule has no history."""
        if not self.history:
            return ()
        for before, after in pairwise(self.history):
            if before.until >= after.until:
                raise ValueError("eras must end at distinct times")
        out: list[EraSpan] = []
        start: datetime | None = None
        for era in self.history:
            ranks = dict(era.ranks)
            layers = tuple(Layer(x.id, ranks.get(x.id, x.rank), x.versions) for x in self.layers)
            flat = ScheduleSpec(era.zone, layers, self.overrides, self.temporary)
            out.append((start, era.until, flat))
            start = era.until
        out.append(
            (start, None, ScheduleSpec(self.zone, self.layers, self.overrides, self.temporary))
        )
        return tuple(out)

    def layer(self, layer_id: str) -> Layer:
        """The layer with id ``layer_id``; ValueError if there is none."""
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise ValueError(f"no layer {layer_id!r} in this schedule")


# An era as the resolver uses it: [start, end) (None: unbounded) and a spec without history.
EraSpan = tuple[datetime | None, datetime | None, ScheduleSpec]


@dataclass(frozen=True)
class Shift:
    """A resolved stretch ``[start, end)`` (UTC) during which ``user_id`` is on call."""

    user_id: str
    start: datetime
    end: datetime
    source: str


@dataclass(frozen=True)
class OnCall:
    """Who is on call at an instant, and the final shift around that instant.

    ``start``/``end`` bound the maximal stretch with the same user and source
    (what :func:`final_shifts` would show unclipped); ``end`` is None when
    nothing scheduled ever ends it.
    """

    user_id: str
    source: str
    start: datetime
    end: datetime | None
