"""Access-control events: Muster's vocabulary, and a vendor's JSON mapped onto it.

The vocabulary (:data:`KINDS`): ``access_granted``, ``access_denied``,
``door_forced_open``, ``door_held_open``, ``tailgating_detected``, ``tamper``,
``controller_offline``, ``lockdown``, plus ``controller_online`` (which only drives the
controller's health).

An :class:`AccessMapping` is what an integration stores (or a preset supplies, see
:mod:`muster.integrations.access_control_presets`): JSONPath expressions (or lists of
alternatives, or ``literal:<text>``, as generic JSON intake takes them) for ``kind``
(required), ``door`` (required: the door or controller id), ``door_name``,
``identity`` (the badge holder), ``credential``, ``event_id``, ``timestamp``; an
optional ``items`` path for payloads carrying several events; and ``kind_map`` from the
vendor's words to the vocabulary (case-insensitive; a word already in the vocabulary
maps to itself). An event whose kind maps to nothing is skipped and counted, since
vendors send many kinds of events Muster has no use for (doorbells, schedule changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from muster.errors import FieldError, InvalidInput
from muster.integrations.access_control_presets import PRESETS
from muster.integrations.fields import Problems, parse_timestamp, sub
from muster.integrations.generic_mapping import (
    MAX_ALTERNATIVES,
    Alternative,
    LiteralValue,
    compile_expression,
)  # fmt: skip
from muster.integrations.jsonpath import JsonPath, JsonPathError, compile_path
from muster.integrations.normalized import JsonObject, JsonValue, clean_text, load_json

KINDS = (
    "access_granted", "access_denied", "door_forced_open", "door_held_open",
    "tailgating_detected", "tamper", "controller_offline", "lockdown", "controller_online",
)  # fmt: skip
FIELDS = ("kind", "door", "door_name", "identity", "credential", "event_id", "timestamp")
REQUIRED = ("kind", "door")
MAX_EVENTS = 500
MAX_TEXT = 255
INVALID = "The access-control mapping is invalid."


@dataclass(frozen=True, slots=True)
class AccessEvent:
    kind: str  # one of KINDS
    door: str
    door_name: str | None
    identity: str | None
    credential: str | None
    event_id: str | None
    occurred_at: datetime | None
    vendor_kind: str
    raw: JsonObject


@dataclass(frozen=True, slots=True)
class AccessBatch:
    events: list[AccessEvent]
    skipped: list[str]  # vendor kinds that map to nothing, one per skipped event
    truncated: int = 0


@dataclass(frozen=True, slots=True)
class AccessMapping:
    expressions: dict[str, tuple[Alternative, ...]]
    items: JsonPath | None
    kind_map: dict[str, str]

    @classmethod
    def from_dict(cls, data: object) -> AccessMapping:
        """Validate a stored mapping, naming each bad part (``mapping.kind_map.x``)."""
        if not isinstance(data, dict):
            raise InvalidInput(INVALID, errors=[FieldError("mapping", "must be a JSON object")])
        problems = Problems()
        expressions: dict[str, tuple[Alternative, ...]] = {}
        for key in data:
            if key not in FIELDS and key not in ("items", "kind_map"):
                problems.add(sub("mapping", str(key)), "is not a mapping field")
        for name in FIELDS:
            spec = data.get(name)
            if spec is None:
                if name in REQUIRED:
                    problems.add(sub("mapping", name), "is missing")
                continue
            expressions[name] = _alternatives(sub("mapping", name), spec, problems)
        items: JsonPath | None = None
        if data.get("items") is not None:
            try:
                items = compile_path(str(data["items"]))
            except JsonPathError as exc:
                problems.add("mapping.items", f"is not a valid JSONPath: {exc}")
        kind_map: dict[str, str] = {}
        raw_map = data.get("kind_map", {})
        if not isinstance(raw_map, dict) or len(raw_map) > 200:
            problems.add("mapping.kind_map", "must be an object of at most 200 words")
        else:
            for word, kind in raw_map.items():
                if kind not in KINDS:
                    problems.add(
                        sub("mapping.kind_map", str(word)), f"must be one of {', '.join(KINDS)}"
                    )
                else:
                    kind_map[str(word).strip().lower()] = kind
        problems.raise_if_any(INVALID)
        return cls(expressions=expressions, items=items, kind_map=kind_map)

    def kind_of(self, word: str) -> str | None:
        key = word.strip().lower()
        mapped = self.kind_map.get(key)
        if mapped is not None:
            return mapped
        return key if key in KINDS else None


def _alternatives(name: str, spec: object, problems: Problems) -> tuple[Alternative, ...]:
    texts: Sequence[object]
    if isinstance(spec, str):
        texts = [spec]
    elif isinstance(spec, list) and 0 < len(spec) <= MAX_ALTERNATIVES:
        texts = spec
    else:
        problems.add(name, f"must be an expression or a list of 1 to {MAX_ALTERNATIVES}")
        return ()
    compiled: list[Alternative] = []
    for i, text in enumerate(texts):
        where = name if isinstance(spec, str) else sub(name, i)
        if not isinstance(text, str):
            problems.add(where, "must be a string")
            continue
        try:
            compiled.append(compile_expression(text))
        except JsonPathError as exc:
            problems.add(where, str(exc))
    return tuple(compiled)


def parse_access_events(body: bytes | JsonValue, mapping: AccessMapping) -> AccessBatch:
    """A request or message body → the events it reports. :class:`InvalidInput` names
    what is wrong (malformed JSON, a required field selecting nothing)."""
    doc = load_json(body)
    items: list[JsonValue]
    if mapping.items is None:
        items = [doc]
    else:
        found = mapping.items.find(doc)
        items = (
            found[0]
            if mapping.items.is_singular and found and isinstance(found[0], list)
            else found
        )
        if not items:
            raise InvalidInput(INVALID, errors=[FieldError("items", "selected no events")])
    truncated = max(len(items) - MAX_EVENTS, 0)
    problems = Problems()
    events: list[AccessEvent] = []
    skipped: list[str] = []
    for index, item in enumerate(items[:MAX_EVENTS]):
        where = "body" if mapping.items is None else f"events[{index}]"
        read = _Reader(mapping, doc, item)
        word, door = read.text("kind"), read.text("door")
        if word is None:
            problems.add(sub(where, "kind"), "selected nothing (the event's kind)")
        if door is None:
            problems.add(sub(where, "door"), "selected nothing (the door or controller id)")
        if word is None or door is None:
            continue
        kind = mapping.kind_of(word)
        if kind is None:
            skipped.append(word)
            continue
        try:
            occurred = read.time("timestamp")
        except ValueError as exc:
            problems.add(sub(where, "timestamp"), str(exc))
            continue
        events.append(AccessEvent(
            kind=kind, door=door, door_name=read.text("door_name"), identity=read.text("identity"),
            credential=read.text("credential"), event_id=read.text("event_id"), occurred_at=occurred,
            vendor_kind=word, raw=item if isinstance(item, dict) else {"value": item},
        ))  # fmt: skip
    problems.raise_if_any("The access-control event could not be read.")
    return AccessBatch(events=events, skipped=skipped, truncated=truncated)


class _Reader:
    def __init__(self, mapping: AccessMapping, doc: JsonValue, item: JsonValue) -> None:
        self.mapping, self.doc, self.item = mapping, doc, item

    def value(self, name: str) -> JsonValue:
        for alternative in self.mapping.expressions.get(name, ()):
            if isinstance(alternative, LiteralValue):
                return alternative.text
            found = alternative.find(self.doc, self.item)
            value: Any = found[0] if found else None
            if value not in (None, "", [], {}):
                return value  # type: ignore[no-any-return]
        return None

    def text(self, name: str) -> str | None:
        value = self.value(name)
        if value is None or isinstance(value, dict | list):
            return None
        text = clean_text(str(value).lower() if isinstance(value, bool) else str(value), MAX_TEXT)
        return text or None

    def time(self, name: str) -> datetime | None:
        value = self.value(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if abs(value) > 1e11 else value
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                raise ValueError("is out of range as a Unix time") from None
        if isinstance(value, str):
            return parse_timestamp(value)
        raise ValueError("must be an ISO 8601 string or a Unix time")


def mapping_from_config(config: Mapping[str, Any]) -> AccessMapping:
    """The mapping an integration's config names: a ``preset`` or its own ``mapping``."""
    preset = config.get("preset")
    if preset is not None:
        if preset not in PRESETS:
            raise InvalidInput(
                "unknown preset",
                errors=[FieldError("config.preset", f"one of {', '.join(sorted(PRESETS))}")],
            )
        return AccessMapping.from_dict(PRESETS[preset])
    if config.get("mapping") is None:
        raise InvalidInput(
            "no mapping",
            errors=[FieldError("config.preset", "give a preset or a mapping (config.mapping)")],
        )
    return AccessMapping.from_dict(config["mapping"])
