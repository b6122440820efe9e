"""The stored mapping of a generic JSON integration, and its validation.

A :class:`GenericMapping` is what a user configures: per alert field, one expression or a
list of alternatives (``"$.alert.title"``, ``["$.title", "literal:Untitled"]``), an
optional ``items`` path, a ``status_map``, a ``severity_map`` and defaults.
:func:`validate_mapping` checks it and compiles it into a :class:`CompiledMapping`, or
raises :class:`~muster.errors.InvalidInput` naming each bad field (``summary``,
``severity[1]``, ``status_map.ok``). :meth:`GenericMapping.from_dict` reads the stored JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from muster.errors import FieldError, InvalidInput
from muster.integrations.fields import Problems, sub, type_name
from muster.integrations.jsonpath import JsonPath, JsonPathError, compile_path
from muster.integrations.normalized import (
    ACTIONS,
    SEVERITIES,
    Action,
    JsonObject,
    Severity,
)

LITERAL_PREFIX = "literal:"
MAX_ALTERNATIVES = 8
MAX_MAP_ENTRIES = 100
# Mapped alert fields, by the name used in stored mappings and in error messages.
FIELD_NAMES = (
    "summary", "details", "severity", "dedup_key", "action", "source",
    "component", "group", "class", "timestamp", "links",
)  # fmt: skip
_SETTINGS = ("items", "status_map", "severity_map", "default_action", "default_severity")
INVALID_MAPPING = "The mapping is invalid."

ExpressionSpec = str | Sequence[str]
T = TypeVar("T", bound=str)
_ACTIONS: dict[str, Action] = {action: action for action in ACTIONS}
_SEVERITIES: dict[str, Severity] = {severity: severity for severity in SEVERITIES}


@dataclass(frozen=True, slots=True)
class LiteralValue:
    """A fixed value written as ``literal:<text>``."""

    text: str

    @property
    def source(self) -> str:
        return LITERAL_PREFIX + self.text


Alternative = JsonPath | LiteralValue


@dataclass(frozen=True)
class GenericMapping:
    """A user's mapping from their JSON to alert fields; only ``summary`` is required.

    ``status`` values are looked up in ``status_map`` (e.g. ``{"ok": "resolve"}``) and
    severity words in ``severity_map`` (e.g. ``{"sev-a": "critical"}``), both
    case-insensitively.
    """

    summary: ExpressionSpec
    details: ExpressionSpec | None = None
    severity: ExpressionSpec | None = None
    dedup_key: ExpressionSpec | None = None
    action: ExpressionSpec | None = None
    source: ExpressionSpec | None = None
    component: ExpressionSpec | None = None
    group: ExpressionSpec | None = None
    class_: ExpressionSpec | None = None
    timestamp: ExpressionSpec | None = None
    links: ExpressionSpec | None = None
    items: str | None = None
    status_map: Mapping[str, str] = field(default_factory=dict)
    severity_map: Mapping[str, str] = field(default_factory=dict)
    default_action: str = "trigger"
    default_severity: str = "warning"

    def expression(self, name: str) -> object:
        """The expression given for mapped field ``name`` (``class`` → ``class_``)."""
        value: object = getattr(self, "class_" if name == "class" else name)
        return value

    @classmethod
    def from_dict(cls, data: object) -> GenericMapping:
        """Read a mapping stored as JSON (``"class"`` for ``class_``, ``"status"`` accepted
        for ``action``) and validate it; unknown keys are errors, to catch typos."""
        if not isinstance(data, dict):
            raise InvalidInput(
                INVALID_MAPPING, errors=[FieldError("mapping", "must be a JSON object")]
            )
        problems = Problems()
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = "action" if key == "status" else key
            if name not in FIELD_NAMES and name not in _SETTINGS:
                problems.add(sub("", str(key)), "is not a mapping field")
            elif name in kwargs:
                problems.add(sub("", str(key)), "is given twice (as 'status' and 'action')")
            else:
                kwargs["class_" if name == "class" else name] = value
        if "summary" not in kwargs:
            problems.add("summary", "is missing: every mapping needs a summary expression")
        problems.raise_if_any(INVALID_MAPPING)
        mapping = cls(**kwargs)
        validate_mapping(mapping)
        return mapping

    def to_dict(self) -> JsonObject:
        """The mapping as JSON, for storage; the inverse of :meth:`from_dict`."""
        out: JsonObject = {}
        for name in FIELD_NAMES:
            value = self.expression(name)
            if isinstance(value, str):
                out[name] = value
            elif isinstance(value, Sequence):
                out[name] = [str(v) for v in value]
        if self.items is not None:
            out["items"] = self.items
        out["status_map"] = {str(k): str(v) for k, v in self.status_map.items()}
        out["severity_map"] = {str(k): str(v) for k, v in self.severity_map.items()}
        out["default_action"] = self.default_action
        out["default_severity"] = self.default_severity
        return out


@dataclass(frozen=True, slots=True)
class CompiledMapping:
    """A validated mapping, ready to evaluate. ``expressions`` holds only the fields the
    mapping sets; map keys are lower-case."""

    expressions: dict[str, tuple[Alternative, ...]]
    items: JsonPath | None
    status_map: dict[str, Action]
    severity_map: dict[str, Severity]
    default_action: Action
    default_severity: Severity


def compile_expression(text: str) -> Alternative:
    """One alternative: ``literal:<text>`` or a JSONPath; raises :class:`JsonPathError`."""
    if text.startswith(LITERAL_PREFIX):
        return LiteralValue(text[len(LITERAL_PREFIX) :])
    if not text.startswith(("$", "@")):
        raise JsonPathError("must be a JSONPath starting with '$' or '@', or 'literal:<text>'")
    return compile_path(text)


def validate_mapping(mapping: GenericMapping) -> CompiledMapping:
    """Check every part of ``mapping`` and compile it, or raise
    :class:`~muster.errors.InvalidInput` naming each bad field."""
    problems = Problems()
    expressions: dict[str, tuple[Alternative, ...]] = {}
    for name in FIELD_NAMES:
        spec = mapping.expression(name)
        if spec is None:
            if name == "summary":
                problems.add(name, "is missing: every mapping needs a summary expression")
            continue
        alternatives = _alternatives(name, spec, problems)
        if alternatives:
            expressions[name] = alternatives
    items: JsonPath | None = None
    items_spec: object = mapping.items  # typed str | None, but stored data may lie
    if isinstance(items_spec, str):
        try:
            items = compile_path(items_spec)
        except JsonPathError as exc:
            problems.add("items", f"is not a valid JSONPath: {exc}")
    elif items_spec is not None:
        problems.add("items", f"must be a JSONPath string, not {type_name(items_spec)}")
    status_map = _word_map("status_map", mapping.status_map, _ACTIONS, problems)
    severity_map = _word_map("severity_map", mapping.severity_map, _SEVERITIES, problems)
    default_action = _choice("default_action", mapping.default_action, _ACTIONS, problems)
    default_severity = _choice("default_severity", mapping.default_severity, _SEVERITIES, problems)
    problems.raise_if_any(INVALID_MAPPING)
    return CompiledMapping(
        expressions=expressions,
        items=items,
        status_map=status_map,
        severity_map=severity_map,
        default_action=default_action or "trigger",
        default_severity=default_severity or "warning",
    )


def _alternatives(name: str, spec: object, problems: Problems) -> tuple[Alternative, ...]:
    texts: list[tuple[str, object]]
    if isinstance(spec, str):
        texts = [(name, spec)]
    elif isinstance(spec, Sequence) and 0 < len(spec) <= MAX_ALTERNATIVES:
        texts = [(sub(name, i), text) for i, text in enumerate(spec)]
    else:
        problems.add(
            name,
            f"must be an expression or a list of 1 to {MAX_ALTERNATIVES} expressions, "
            f"not {type_name(spec)}",
        )
        return ()
    result: list[Alternative] = []
    for path, text in texts:
        if not isinstance(text, str):
            problems.add(path, f"must be a string, not {type_name(text)}")
            continue
        try:
            result.append(compile_expression(text))
        except JsonPathError as exc:
            problems.add(path, f"is not a valid expression: {exc}")
    return tuple(result)


def _word_map(
    name: str, value: object, lookup: Mapping[str, T], problems: Problems
) -> dict[str, T]:
    if not isinstance(value, Mapping):
        problems.add(name, f"must be an object, not {type_name(value)}")
        return {}
    if len(value) > MAX_MAP_ENTRIES:
        problems.add(name, f"must have at most {MAX_MAP_ENTRIES} entries")
        return {}
    result: dict[str, T] = {}
    for word, target in value.items():
        choice = _choice(sub(name, str(word)), target, lookup, problems)
        if choice is not None:
            result[str(word).strip().lower()] = choice
    return result


def _choice(name: str, value: object, lookup: Mapping[str, T], problems: Problems) -> T | None:
    choice = lookup.get(value) if isinstance(value, str) else None
    if choice is None:
        problems.add(name, f"must be one of {', '.join(lookup)} (got {str(value)[:64]!r})")
    return choice
