"""Local wall time <-> instants, with Muster's rules for DST gaps and folds.

A *wall time* is a :class:`datetime` whose ``tzinfo`` is the schedule's
:class:`ZoneInfo`, read as a local wall-clock reading: Python adds timedeltas
to, subtracts, and compares datetimes sharing one ``tzinfo`` on their wall
fields, which is exactly wall-clock arithmetic (and cheaper than juggling
naive values). Wall times here always have ``fold=0``. An *instant* is an
aware :class:`datetime` in UTC; never compare a wall time with an instant.

Mapping a wall time to an instant:

* a wall time that exists once maps to that instant;
* an ambiguous wall time (a fall-back fold) maps to its FIRST occurrence;
* a wall time that does not exist (a spring-forward gap) maps to the first
  instant after the gap, i.e. the transition itself (02:30 on Chicago's
  spring-forward day -> 03:00 CDT).

Equivalently, ``wall_to_instant(w)`` is the earliest instant whose local wall
time is ``>= w``. The mapping is therefore non-decreasing in ``w``: a later
wall time never maps to an earlier instant (two wall times inside one gap map
to the same instant).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


def require_utc(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` converted to UTC.

    Precondition: ``value`` is timezone-aware; a naive value raises ValueError.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value!r})")
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def local_wall(tz: ZoneInfo, instant: datetime) -> datetime:
    """The wall time (tzinfo ``tz``, fold 0) of an aware ``instant``."""
    wall = instant.astimezone(tz)
    return wall.replace(fold=0) if wall.fold else wall


def wall_to_instant(tz: ZoneInfo, wall: datetime) -> datetime:
    """The UTC instant of ``wall`` (see module rules).

    Precondition: ``wall.tzinfo is tz`` and ``wall.fold == 0``.
    """
    utc = wall.astimezone(UTC)
    if utc.astimezone(tz) == wall:  # same tzinfo: compares wall fields
        return utc  # exists (first occurrence if ambiguous: fold=0)
    return _gap_end(tz, wall)


@lru_cache(maxsize=4096)
def _gap_end(tz: ZoneInfo, wall: datetime) -> datetime:
    """The transition instant that ends the gap holding ``wall``.

    Searches whole seconds (zone transitions fall on whole seconds) for the
    earliest instant whose local wall time is ``>= wall``, between the two
    readings of ``wall`` with the offsets before and after the transition.
    """
    first = wall.astimezone(UTC).timestamp()
    second = wall.replace(fold=1).astimezone(UTC).timestamp()
    lo, hi = math.floor(min(first, second)), math.ceil(max(first, second))
    # invariant: local(lo) < wall <= local(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz) >= wall:  # same tzinfo: wall comparison
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)
