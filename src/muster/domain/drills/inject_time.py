"""An alert inject's vendor timestamps, moved to the moment it fires.

A scenario's payloads carry the times their tool wrote (Alertmanager's ``startsAt``,
Verkada's ``created``, Frigate's ``start_time``...), fixed when the scenario was written.
When an inject fires, :func:`at_fire_time` moves every one of them by the same amount, so
that the latest is the fire time: the alert, the site event and the timeline show drill
time, and several timestamps in one payload keep their distances (a flow record a second
before the IDS alert it led to, an original event before its detection).

:data:`STAMPS` says, per format, where the timestamps are and how each is written. A path
is dotted, ``*`` standing for each item of a list, and reads an ECS-style flattened key
too (``kibana.alert.original_time`` as one key or nested), as the security parsers do
(:func:`muster.integrations.security.common.get_path`); it applies to each record of a
payload (one object, a list, or JSON lines). For the formats whose exercise integration
maps fields by JSONPath (access-control presets, generic JSON) the paths are the mapping's
own ``timestamp`` ones. For CEF (text) they are extension keys of each record line.
A value that is absent, not of its form, or before 1971 (Go's zero time: unset) stays as
it is, for the parser to judge.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from muster.integrations.access_control_presets import PRESETS
from muster.integrations.fields import parse_timestamp

# iso: ISO 8601 text, written back in the same shape (separator, fraction digits,
# offset); epoch: Unix time in seconds, or milliseconds, microseconds or nanoseconds
# (told apart by size, as the parsers do), a number or digits in a string, written back
# in the same unit and type; any: either, as the value is.
Form = Literal["iso", "epoch", "any"]


@dataclass(frozen=True)
class Stamp:
    path: str
    form: Form
    # False: moved along, but never taken as the moment the tool sent the payload (an
    # Alertmanager ``endsAt`` of a firing alert lies ahead).
    anchors: bool = True


_PROMETHEUS = (Stamp("alerts.*.startsAt", "iso"), Stamp("alerts.*.endsAt", "iso", anchors=False))
_ELASTIC = tuple(
    Stamp(f"{record}{key}", "iso")
    for record in ("", "alerts.*.", "context.alerts.*.")
    for key in ("@timestamp", "kibana.alert.original_time", "signal.original_time")
)
STAMPS: dict[str, tuple[Stamp, ...]] = {
    "alertmanager": _PROMETHEUS,
    "grafana": _PROMETHEUS,
    "pagerduty": (Stamp("payload.timestamp", "iso"),),
    "wazuh": (Stamp("timestamp", "iso"),),
    "suricata": (Stamp("timestamp", "iso"), Stamp("flow.start", "iso"), Stamp("flow.end", "iso")),
    "falco": (Stamp("time", "iso"), Stamp("output_fields.evt.time", "epoch")),
    "elastic": _ELASTIC,
    "splunk": (Stamp("result._time", "epoch"),),
    "cef": (Stamp("rt", "any"), Stamp("start", "any"), Stamp("end", "any")),
    "frigate": tuple(
        Stamp(f"{side}.{key}", "epoch")
        for side in ("before", "after")
        for key in ("start_time", "end_time")
    ),
}
MAPPED = ("access_control", "generic")  # the paths are the mapping's (see stamps_of)
TEXT = ("cef",)
UNSET_BEFORE = datetime(1971, 1, 1, tzinfo=UTC)
_SIMPLE_JSONPATH = re.compile(r"\$\.([A-Za-z0-9_@-]+(?:\.[A-Za-z0-9_@-]+)*)")
_ISO_SHAPE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?P<sep>[Tt ])(?P<hm>\d{2}:\d{2})(?P<s>:\d{2})?"
    r"(?:(?P<mark>[.,])(?P<fraction>\d{1,32}))?(?P<space>\s?)"
    r"(?P<zone>[Zz]|(?P<sign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)?"
)
_NUMBER_TEXT = re.compile(r"-?\d+(?:\.(\d+))?")
_CEF_VALUE = r"(?<![^\s|])({keys})=(\S+)"


def stamps_of(format: str, config: Mapping[str, Any]) -> tuple[Stamp, ...]:
    """Where ``format``'s payloads hold timestamps; ``config``: the exercise integration's
    (its access-control ``preset`` or JSONPath ``mapping`` names the timestamp paths)."""
    if format not in MAPPED:
        return STAMPS.get(format, ())
    preset = config.get("preset")
    mapping: Mapping[str, Any] = (
        PRESETS.get(str(preset), {}) if preset is not None else config.get("mapping") or {}
    )
    found = mapping.get("timestamp") or []
    paths = [found] if isinstance(found, str) else list(found)
    simple = [m[1] for p in paths if isinstance(p, str) and (m := _SIMPLE_JSONPATH.fullmatch(p))]
    return tuple(Stamp(path, "any") for path in simple)


def at_fire_time(format: str, payload: object, config: Mapping[str, Any], now: datetime) -> object:
    """``payload`` (left as it is: a changed copy is returned) with its timestamps moved
    so that the latest is ``now``; unchanged when it has none."""
    stamps = stamps_of(format, config)
    if not stamps:
        return payload
    if format in TEXT:
        return _cef_at(payload, stamps, now) if isinstance(payload, str) else payload
    if not isinstance(payload, str):
        return _moved(copy.deepcopy(payload), stamps, now)
    decoded = _json_text(payload)
    if decoded is None:
        return payload  # the parser names what is wrong
    doc, lines = decoded
    moved = _moved(doc, stamps, now)
    return "\n".join(json.dumps(line) for line in moved) if lines else json.dumps(moved)


def _json_text(text: str) -> tuple[Any, bool] | None:
    """A payload written as JSON text: the document, and whether it was JSON lines (one
    object per line, as tools write their event logs); None when it is neither."""
    try:
        return json.loads(text), False
    except ValueError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()], True
    except ValueError:
        return None


def _moved(doc: Any, stamps: tuple[Stamp, ...], now: datetime) -> Any:
    records = doc if isinstance(doc, list) else [doc]
    slots = [(c, k, s) for r in records for s in stamps for c, k in _slots(r, s.path.split("."))]
    read = [(slot, _read(slot[0][slot[1]], slot[2].form)) for slot in slots]
    anchors = [when for (_, _, stamp), when in read if when is not None and stamp.anchors]
    if not anchors:
        return doc
    delta = now - max(anchors)
    for (container, key, stamp), when in read:
        if when is not None:
            container[key] = _write(container[key], stamp.form, when + delta, delta)
    return doc


def _slots(node: Any, parts: list[str]) -> Iterator[tuple[Any, Any]]:
    """Where ``parts`` lead in ``node``: (container, key) pairs."""
    if parts[0] == "*":
        for index, item in enumerate(node if isinstance(node, list) else []):
            if len(parts) == 1:
                yield node, index
            else:
                yield from _slots(item, parts[1:])
        return
    if not isinstance(node, dict):
        return
    for cut in range(len(parts), 0, -1):  # the longest key first: "evt.time", then "evt"
        key = ".".join(parts[:cut])
        if key not in node:
            continue
        if cut == len(parts):
            yield node, key
        else:
            yield from _slots(node[key], parts[cut:])


def _read(value: Any, form: Form) -> datetime | None:
    when: datetime | None = None
    try:
        if form != "iso" and _epoch_value(value) is not None:
            number = float(value)
            when = datetime.fromtimestamp(number / _scale(number), UTC)
        elif form != "epoch" and isinstance(value, str):
            when = parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        return None
    return when if when is not None and when >= UNSET_BEFORE else None


def _epoch_value(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (
        isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip())
    ):
        return value
    return None


def _scale(number: float) -> int:
    """How many of its units make a second: 1, 1000 (ms), 10^6 (µs) or 10^9 (ns)."""
    scale = 1
    while abs(number) / scale > 1e11 and scale < 10**9:
        scale *= 1000
    return scale


def _write(value: Any, form: Form, when: datetime, delta: timedelta) -> Any:
    if form != "iso" and _epoch_value(value) is not None:
        return _epoch_moved(value, delta)
    return _iso_like(str(value), when)


def _epoch_moved(value: int | float | str, delta: timedelta) -> int | float | str:
    micros = delta // timedelta(microseconds=1)
    if isinstance(value, int):
        return value + (micros * _scale(value) + 500_000) // 1_000_000
    if isinstance(value, float):
        return round(value + micros * _scale(value) / 1_000_000, 6)
    text = value.strip()
    number = _NUMBER_TEXT.fullmatch(text)
    decimals = number[1] if number else None
    if decimals is None:
        return str(_epoch_moved(int(text), delta))
    return f"{_epoch_moved(float(text), delta):.{len(decimals)}f}"


def _iso_like(original: str, when: datetime) -> str:
    """``when`` written as ``original`` is: separator, seconds, fraction digits, offset."""
    shape = _ISO_SHAPE.fullmatch(original.strip())
    if shape is None:  # parse_timestamp took it, so this does not happen
        return when.isoformat()
    zone = UTC
    if shape["sign"]:
        offset = timedelta(hours=int(shape["oh"]), minutes=int(shape["om"] or 0))
        zone = timezone(-offset if shape["sign"] == "-" else offset)
    local = when.astimezone(zone)
    text = local.strftime("%Y-%m-%d") + shape["sep"] + local.strftime("%H:%M")
    if shape["s"]:
        text += local.strftime(":%S")
    if shape["fraction"]:
        digits = len(shape["fraction"])
        micro = f"{local.microsecond:06d}"
        text += shape["mark"] + (micro[:digits] if digits <= 6 else micro.ljust(digits, "0"))
    return text + shape["space"] + (shape["zone"] or "")


def _cef_at(text: str, stamps: tuple[Stamp, ...], now: datetime) -> str:
    """CEF records with their time extensions (``rt=``, ``start=``, ``end=``) moved."""
    pattern = re.compile(_CEF_VALUE.format(keys="|".join(re.escape(s.path) for s in stamps)))
    forms = {s.path: s for s in stamps}
    found = [(m, _read(m[2], forms[m[1]].form)) for m in pattern.finditer(text)]
    anchors = [when for m, when in found if when is not None and forms[m[1]].anchors]
    if not anchors:
        return text
    delta = now - max(anchors)

    def moved(match: re.Match[str]) -> str:
        stamp = forms[match[1]]
        when = _read(match[2], stamp.form)
        if when is None:
            return match[0]
        return f"{match[1]}={_write(match[2], stamp.form, when + delta, delta)}"

    return pattern.sub(moved, text)
