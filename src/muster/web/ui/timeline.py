"""A schedule's timeline as positions for an inline SVG (no inline styles: the page's
Content-Security-Policy allows only the stylesheet, so geometry goes in SVG attributes
and colour in CSS classes).

Rows: the final result first (who is paged: overrides hatched, temporary shifts dotted,
gaps red), then each layer, the one that wins first on top. Columns are days in the
viewer's zone; a day is as wide as it is long (23 or 25 hours across DST).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from muster.clock import isoformat
from muster.domain.oncall.schemas import ShiftOut, ShiftsOut
from muster.domain.oncall.walltime import wall_to_instant

WIDTH = 1160.0
LABEL_W = 168.0
PLOT_X = LABEL_W + 4
PLOT_W = WIDTH - PLOT_X - 8
HEADER_H = 40.0
ROW_H = 34.0
ROW_GAP = 8.0
SECTION_GAP = 22.0
CHAR_W = 6.7  # an average character of the 12px label font, in SVG units
PALETTE = 8
XOf = Callable[[datetime], float]
KIND_WORDS = {"layer": "rotation", "override": "override", "temporary": "temporary schedule"}


@dataclass(frozen=True)
class Block:
    x: float
    w: float
    cls: str
    label: str
    title: str


@dataclass(frozen=True)
class Row:
    label: str
    sub: str
    y: float
    blocks: list[Block]
    final: bool = False


@dataclass(frozen=True)
class Day:
    x: float
    w: float
    label: str
    today: bool
    weekend: bool


@dataclass
class Timeline:
    start: datetime
    end: datetime
    rows: list[Row]
    days: list[Day]
    height: float
    now_x: float | None
    legend: list[tuple[str, str]] = field(default_factory=list)
    caption: str = ""
    width: float = WIDTH
    plot_x: float = PLOT_X
    plot_w: float = PLOT_W
    label_w: float = LABEL_W
    row_h: float = ROW_H
    header_h: float = HEADER_H


def window(first_day: date, days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants of local midnight of ``first_day`` and ``days`` days later."""
    lo = wall_to_instant(zone, datetime.combine(first_day, time(), tzinfo=zone))
    hi = wall_to_instant(
        zone, datetime.combine(first_day + timedelta(days=days), time(), tzinfo=zone)
    )
    return lo, hi


def build(
    shifts: ShiftsOut, zone: ZoneInfo, now: datetime, order: list[str] | None = None
) -> Timeline:
    """Lay out ``shifts`` (from :func:`queries.schedule_shifts`) for a viewer in ``zone``.
    ``order`` lists user ids whose colours should come first (the rotations' people)."""
    lo, hi = shifts.start, shifts.end
    span = (hi - lo).total_seconds()

    def x_of(t: datetime) -> float:
        return PLOT_X + max(0.0, min(1.0, (t - lo).total_seconds() / span)) * PLOT_W

    colours = _colours(order or [], shifts)
    days = _days(lo, hi, zone, now, x_of)
    rows: list[Row] = []
    y = HEADER_H
    final_blocks = [_block(s, x_of, zone, colours, final=True) for s in shifts.final]
    final_blocks += [_gap(g.start, g.end, x_of, zone) for g in shifts.gaps]
    rows.append(Row("Final", "who is paged", y, final_blocks, final=True))
    y += ROW_H + SECTION_GAP
    for i, layer in enumerate(shifts.layers):
        sub = "wins first" if i == 0 and len(shifts.layers) > 1 else f"layer {i + 1}"
        blocks = [_block(s, x_of, zone, colours, final=False) for s in layer.shifts]
        rows.append(Row(layer.name, sub, y, blocks))
        y += ROW_H + ROW_GAP
    now_x = x_of(now) if lo <= now < hi else None
    names = {s.user_id: s.user_name for s in shifts.final}
    for layer in shifts.layers:
        names.update({s.user_id: s.user_name for s in layer.shifts})
    legend = [(f"p{colours[u]}", names[u]) for u in sorted(names, key=lambda u: colours[u])]
    last = (hi - timedelta(microseconds=1)).astimezone(zone).date()
    caption = f"{lo.astimezone(zone).date():%a %-d %b %Y} to {last:%a %-d %b %Y}"
    return Timeline(lo, hi, rows, days, y + 4, now_x, legend, caption)


def _colours(order: list[str], shifts: ShiftsOut) -> dict[str, int]:
    seen: dict[str, int] = {}
    everyone = order + [s.user_id for s in shifts.final]
    everyone += [s.user_id for layer in shifts.layers for s in layer.shifts]
    for user_id in everyone:
        if user_id not in seen:
            seen[user_id] = len(seen) % PALETTE
    return seen


def _days(lo: datetime, hi: datetime, zone: ZoneInfo, now: datetime, x_of: XOf) -> list[Day]:
    out: list[Day] = []
    day = lo.astimezone(zone).date()
    today = now.astimezone(zone).date()
    count = 0
    while True:
        begin = wall_to_instant(zone, datetime.combine(day, time(), tzinfo=zone))
        if begin >= hi:
            return out
        finish = wall_to_instant(
            zone, datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        )
        x, x2 = x_of(begin), x_of(finish)
        wide = (x2 - x) >= 46
        label = day.strftime("%a %-d") if wide else day.strftime("%-d")
        if (day.day == 1 and x2 - x >= 66) or (count == 0 and x2 - x >= 84):
            label = day.strftime("%a %-d %b")
        out.append(Day(x, x2 - x, label, day == today, day.weekday() >= 5))
        day += timedelta(days=1)
        count += 1


def _fit(text: str, width: float) -> str:
    room = int((width - 10) / CHAR_W)
    if room < 2:
        return ""
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def _span_text(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    fmt = "%a %-d %b %H:%M"
    return (
        f"{a.strftime(fmt)} → {b.strftime(fmt)} {b.strftime('%Z')}"
        f"\nUTC {isoformat(start)} → {isoformat(end)}"
    )


def _block(
    shift: ShiftOut, x_of: XOf, zone: ZoneInfo, colours: dict[str, int], *, final: bool
) -> Block:
    x, x2 = x_of(shift.start), x_of(shift.end)
    cls = f"shift p{colours.get(shift.user_id, 0)}"
    label = shift.user_name
    if final and shift.kind != "layer":
        cls += f" {shift.kind}"
        label = f"{shift.user_name} ({KIND_WORDS[shift.kind]})"
    title = (
        f"{shift.user_name} — {KIND_WORDS[shift.kind]}\n{_span_text(shift.start, shift.end, zone)}"
    )
    text = _fit(label, x2 - x)
    if final and shift.kind != "layer" and not text:
        text = _fit(shift.user_name, x2 - x)
    return Block(x, max(x2 - x, 1.0), cls, text, title)


def _gap(start: datetime, end: datetime, x_of: XOf, zone: ZoneInfo) -> Block:
    x, x2 = x_of(start), x_of(end)
    title = f"Nobody on call\n{_span_text(start, end, zone)}"
    return Block(x, max(x2 - x, 1.5), "gap", _fit("Nobody on call", x2 - x), title)
