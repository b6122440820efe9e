"""Schedule forms ↔ domain input: wall times typed in a zone, ordered participant
selects, a weekday grid of restriction windows, rows of temporary shifts.

Times people type are wall-clock times: the rotation's start and handoff in the
schedule's zone (the handoff is defined there); every other instant in the viewer's own
zone, converted to UTC with the schedule rules (a time skipped by DST means the moment
the clocks jump; a repeated one its first occurrence).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from muster.domain.oncall.schemas import RotationOut
from muster.domain.oncall.walltime import wall_to_instant
from muster.errors import FieldError, InvalidInput

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TURN_UNITS = [("hours", "hours"), ("days", "days"), ("weeks", "weeks")]
MIN_SLOTS = 4
SHIFT_ROWS = 6
# Domain field → rotation form field (longest dotted prefix wins; see forms.failed_form).
ROTATION_RENAMES = {"participants": "participants", "start": "start_date",
                    "restrictions": "restrictions", "input": "restrictions"}  # fmt: skip
SWAP_RENAMES = {f"{half}.{name}": f"{half}_{name}" for half in ("first", "second")
                for name in ("user_id", "start", "end")}  # fmt: skip


def first(fields: Mapping[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0].strip()


def local_instant(text: str, zone: ZoneInfo, field: str) -> datetime:
    """A wall time typed in ``zone`` (``2026-03-29T02:30``) as an instant."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "please correct the marked fields",
            errors=[FieldError(field, "a date and time, like 2026-01-05T09:00")],
        ) from None
    if value.tzinfo is not None:
        return value
    return wall_to_instant(zone, value.replace(tzinfo=zone))


def local_text(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime(LOCAL_FORMAT)


def next_hour(now: datetime, zone: ZoneInfo, hours: int = 0) -> str:
    base = now.astimezone(zone).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return (base + timedelta(hours=hours)).strftime(LOCAL_FORMAT)


# ---------------------------------------------------------------- rotation form


def rotation_input(
    fields: Mapping[str, list[str]], schedule_zone: ZoneInfo, viewer_zone: ZoneInfo
) -> dict[str, Any]:
    """The posted rotation form as :class:`RotationIn` fields (raises naming form fields)."""
    errors: list[FieldError] = []
    data: dict[str, Any] = {
        "participants": [p for p in fields.get("participants", []) if p.strip()],
        "turn_length": first(fields, "turn_length") or "0",
        "turn_unit": first(fields, "turn_unit"),
    }
    try:
        day = date.fromisoformat(first(fields, "start_date"))
        handoff = time.fromisoformat(first(fields, "handoff"))
        data["start"] = wall_to_instant(
            schedule_zone, datetime.combine(day, handoff, tzinfo=schedule_zone)
        )
    except ValueError:
        errors.append(FieldError("start_date", "a first day and a handoff time (HH:MM)"))
    data["restrictions"] = restriction_input(fields, errors)
    if effective := first(fields, "effective_from"):
        try:
            data["effective_from"] = local_instant(effective, viewer_zone, "effective_from")
        except InvalidInput as exc:
            errors += exc.errors
    if errors:
        raise InvalidInput("please correct the marked fields", errors=errors)
    return data


def restriction_input(
    fields: Mapping[str, list[str]], errors: list[FieldError]
) -> list[dict[str, Any]]:
    """The weekday grid as restriction windows, days with equal hours merged."""
    if first(fields, "restricted") != "on":
        return []
    windows: dict[tuple[str, str], list[int]] = {}
    before = len(errors)
    for d in range(7):
        if first(fields, f"day_{d}") != "on":
            continue
        start, end = first(fields, f"from_{d}")[:5], first(fields, f"to_{d}")[:5]
        if not start or not end:
            errors.append(FieldError("restrictions", f"{WEEKDAYS[d]} needs a start and an end"))
            continue
        windows.setdefault((start, end), []).append(d)
    if not windows and len(errors) == before:
        errors.append(
            FieldError("restrictions", "tick at least one day, or untick “Only at these times”")
        )
    return [{"days": days, "start": start, "end": end} for (start, end), days in windows.items()]


def rotation_values(
    rotation: RotationOut | None, schedule_zone: ZoneInfo, now: datetime
) -> tuple[dict[str, str], list[str]]:
    """(form values, participant ids) to fill the form from a rotation (or defaults)."""
    values = {"turn_length": "1", "turn_unit": "weeks", "handoff": "09:00",
              "start_date": now.astimezone(schedule_zone).date().isoformat()}  # fmt: skip
    for d in range(7):
        values |= {f"from_{d}": "09:00", f"to_{d}": "17:00"} | ({f"day_{d}": "on"} if d < 5 else {})
    if rotation is None:
        return values, []
    start = rotation.start.astimezone(schedule_zone)
    values |= {"turn_length": str(rotation.turn_length), "turn_unit": rotation.turn_unit,
               "handoff": start.strftime("%H:%M"), "start_date": start.date().isoformat()}  # fmt: skip
    if rotation.restrictions:
        values = {k: v for k, v in values.items() if not k.startswith("day_")}
        values["restricted"] = "on"
        for r in rotation.restrictions:
            for d in r.days:
                values |= {f"day_{d}": "on", f"from_{d}": r.start, f"to_{d}": r.end}
    return values, list(rotation.participants)


def posted_rotation_values(fields: Mapping[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    """What was posted, to show the form again after an error."""
    values = {k: v[0] for k, v in fields.items() if v and k != "participants"}
    return values, [p for p in fields.get("participants", []) if p.strip()]


def slots(participants: list[str], extra: int = 2) -> list[str]:
    """The participant <select>s to show: the chosen ones, then empty ones."""
    count = max(MIN_SLOTS, len(participants) + extra)
    return participants + [""] * (count - len(participants))


# ---------------------------------------------------------------- overrides, swaps, temporary


def override_input(fields: Mapping[str, str], zone: ZoneInfo) -> dict[str, Any]:
    errors: list[FieldError] = []
    data: dict[str, Any] = {"user_id": fields.get("user_id", "")}
    for name in ("start", "end"):
        try:
            data[name] = local_instant(fields.get(name, ""), zone, name)
        except InvalidInput as exc:
            errors += exc.errors
    if errors:
        raise InvalidInput("please correct the marked fields", errors=errors)
    return data


def swap_input(fields: Mapping[str, str], zone: ZoneInfo) -> dict[str, Any]:
    errors: list[FieldError] = []
    data: dict[str, Any] = {}
    for half in ("first", "second"):
        part: dict[str, Any] = {"user_id": fields.get(f"{half}_user_id", "")}
        for name in ("start", "end"):
            try:
                part[name] = local_instant(fields.get(f"{half}_{name}", ""), zone, f"{half}_{name}")
            except InvalidInput as exc:
                errors += exc.errors
        data[half] = part
    if errors:
        raise InvalidInput("please correct the marked fields", errors=errors)
    return data


def temporary_input(
    fields: Mapping[str, str], zone: ZoneInfo
) -> tuple[dict[str, Any], dict[str, str]]:
    """The temporary-schedule form as :class:`TemporaryCreate` fields, and the renames
    from the domain's ``shifts.<i>`` to the form's row fields (blank rows are skipped)."""
    errors: list[FieldError] = []
    data: dict[str, Any] = {"shifts": []}
    renames: dict[str, str] = {}
    for name in ("start", "end"):
        try:
            data[name] = local_instant(fields.get(name, ""), zone, name)
        except InvalidInput as exc:
            errors += exc.errors
    for row in range(SHIFT_ROWS):
        user = fields.get(f"user_{row}", "").strip()
        if not user:
            continue
        i = len(data["shifts"])
        shift: dict[str, Any] = {"user_id": user}
        for name in ("start", "end"):
            renames[f"shifts.{i}.{name}"] = f"{name}_{row}"
            try:
                shift[name] = local_instant(fields.get(f"{name}_{row}", ""), zone, f"{name}_{row}")
            except InvalidInput as exc:
                errors += exc.errors
        renames[f"shifts.{i}.user_id"] = renames[f"shifts.{i}"] = f"user_{row}"
        data["shifts"].append(shift)
    if errors:
        raise InvalidInput("please correct the marked fields", errors=errors)
    return data, renames
