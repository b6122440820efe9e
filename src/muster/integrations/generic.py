"""Generic JSON webhooks, read through a stored mapping → :class:`InboundBatch`.

The mapping (:class:`~muster.integrations.generic_mapping.GenericMapping`) says, per alert
field, where to find the value: a JSONPath of the subset in
:mod:`muster.integrations.jsonpath`, or ``"literal:<text>"``. A field may list several
alternatives; the first that selects a non-empty value wins, so
``["$.title", "$.name", "literal:Untitled alert"]`` falls back twice.

When the mapping has ``items`` (a path to a list), each element is one alert and ``@``
means that element (``$`` stays the whole document); otherwise the document is one alert
and ``@`` is the document. Payload errors are named ``items[N].<field>`` (N counts the
selected elements), or just ``<field>`` without ``items``.

Conversion rules:

* text fields take strings as they are, numbers and booleans as JSON text, a list of
  scalars joined by ", ", and objects as JSON;
* ``action`` text is looked up in ``status_map``, then taken as is when it is trigger,
  acknowledge or resolve, and is otherwise an error; no value → ``default_action``;
* ``severity`` text goes through ``severity_map``, then :func:`map_severity` with
  ``default_severity``: an unknown severity never rejects an alert;
* a ``dedup_key`` longer than 255 characters is replaced by its SHA-256; acknowledge and
  resolve need a dedup key; for triggers ``None`` means the caller makes one;
* ``timestamp`` may be ISO 8601 text or a Unix time (seconds, or milliseconds when above
  10^11);
* ``links`` may select URL strings or ``{href, text}`` (or ``{url, name}``) objects;
  unsafe or malformed URLs are dropped;
* no source → ``"generic"``; ``raw`` is the item (wrapped as ``{"value": item}`` when it is
  not an object).

At most :data:`MAX_ITEMS` items become alerts; the rest are counted in
``truncated_alerts``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from muster.errors import FieldError, InvalidInput, MusterError
from muster.integrations.fields import Problems, parse_timestamp, sub, url_problem
from muster.integrations.generic_mapping import (
    Alternative,
    CompiledMapping,
    GenericMapping,
    LiteralValue,
    validate_mapping,
)
from muster.integrations.normalized import (
    ACTIONS,
    MAX_DEDUP_KEY,
    MAX_DETAILS,
    MAX_SHORT_TEXT,
    MAX_SUMMARY,
    Action,
    InboundAlert,
    InboundBatch,
    JsonValue,
    Link,
    clean_text,
    load_json,
    map_severity,
)

__all__ = [
    "MAX_ITEMS",
    "CompiledMapping",
    "FieldPreview",
    "GenericMapping",
    "Preview",
    "parse_generic",
    "preview",
    "validate_mapping",
]

MAX_ITEMS = 1000
MAX_LINKS = 20
DETAIL = "The payload does not fit the integration's mapping."


@dataclass(frozen=True, slots=True)
class FieldPreview:
    """What one mapped field selected: the alternative that matched, and its value
    (``None`` for both when nothing matched)."""

    expression: str | None
    value: JsonValue


@dataclass(frozen=True, slots=True)
class Preview:
    """A mapping tried against a pasted sample, for the UI.

    ``fields`` has one entry per item: mapped field name → :class:`FieldPreview`.
    ``alerts`` is what :func:`parse_generic` returns, when it succeeds; ``errors`` holds
    every problem with the mapping or the sample otherwise.
    """

    fields: list[dict[str, FieldPreview]] = field(default_factory=list)
    alerts: list[InboundAlert] = field(default_factory=list)
    truncated_alerts: int = 0
    errors: list[FieldError] = field(default_factory=list)


def parse_generic(body: object, mapping: GenericMapping | CompiledMapping) -> InboundBatch:
    """Parse a payload (raw bytes or decoded JSON) through ``mapping`` into a batch.

    An invalid mapping raises :class:`InvalidInput` too; compile it once with
    :func:`validate_mapping` and pass the :class:`CompiledMapping` to skip re-checking.
    """
    compiled = mapping if isinstance(mapping, CompiledMapping) else validate_mapping(mapping)
    doc = load_json(body)
    items, truncated = _items(doc, compiled)
    problems = Problems()
    alerts: list[InboundAlert] = []
    for index, item in enumerate(items):
        prefix = sub("items", index) if compiled.items is not None else ""
        alert = _Item(compiled, doc, item).alert(prefix, problems)
        if alert is not None:
            alerts.append(alert)
    problems.raise_if_any(DETAIL)
    return InboundBatch(alerts=alerts, truncated_alerts=truncated)


def preview(body: object, mapping: GenericMapping | CompiledMapping) -> Preview:
    """Try ``mapping`` on a sample: what each field selects, the alerts, and all errors.

    Never raises for bad input: mapping, payload and field errors are all returned.
    """
    try:
        compiled = mapping if isinstance(mapping, CompiledMapping) else validate_mapping(mapping)
        doc = load_json(body)
        items, truncated = _items(doc, compiled)
    except MusterError as exc:
        return Preview(errors=_errors_of(exc))
    selections = [
        {name: _Item(compiled, doc, item).pick(name) for name in compiled.expressions}
        for item in items
    ]
    try:
        batch = parse_generic(doc, compiled)
    except MusterError as exc:
        return Preview(fields=selections, errors=_errors_of(exc))
    return Preview(fields=selections, alerts=batch.alerts, truncated_alerts=truncated)


def _errors_of(exc: MusterError) -> list[FieldError]:
    return exc.errors or [FieldError("body", exc.detail)]


def _items(doc: JsonValue, compiled: CompiledMapping) -> tuple[list[JsonValue], int]:
    """The alert items of ``doc``, and how many were left out beyond :data:`MAX_ITEMS`.

    A singular ``items`` path selecting a list gives its elements; selecting anything
    else gives that one value as the only item.
    """
    if compiled.items is None:
        return [doc], 0
    found = compiled.items.find(doc)
    if compiled.items.is_singular:
        if not found:
            raise InvalidInput(DETAIL, errors=[FieldError("items", "selected nothing")])
        first = found[0]
        found = first if isinstance(first, list) else [first]
    return found[:MAX_ITEMS], max(len(found) - MAX_ITEMS, 0)


class _Item:
    """One alert item being read through the compiled mapping."""

    def __init__(self, compiled: CompiledMapping, doc: JsonValue, item: JsonValue) -> None:
        self.compiled = compiled
        self.doc = doc
        self.item = item

    def pick(self, name: str) -> FieldPreview:
        """The first alternative for ``name`` that selects a non-empty value."""
        for alternative in self.compiled.expressions.get(name, ()):
            value = self._select(alternative)
            if value not in (None, "", [], {}):
                source = (
                    alternative.source
                    if isinstance(alternative, LiteralValue)
                    else alternative.text
                )
                return FieldPreview(expression=source, value=value)
        return FieldPreview(expression=None, value=None)

    def _select(self, alternative: Alternative) -> JsonValue:
        if isinstance(alternative, LiteralValue):
            return alternative.text
        found = alternative.find(self.doc, self.item)
        if alternative.is_singular:
            return found[0] if found else None
        return found

    def text(self, name: str, max_len: int = MAX_SHORT_TEXT, *, pretty: bool = False) -> str | None:
        """Field ``name`` as cleaned text, or ``None`` when nothing (or only blanks) matched."""
        value = self.pick(name).value
        if value is None:
            return None
        return clean_text(_as_text(value, pretty=pretty), max_len) or None

    def alert(self, prefix: str, problems: Problems) -> InboundAlert | None:
        """The alert, or ``None`` after adding its problems under ``prefix``."""
        before = len(problems.errors)
        summary = self.text("summary", MAX_SUMMARY)
        if summary is None:
            problems.add(sub(prefix, "summary"), "selected nothing: no alternative gave a value")
        action = self._action(prefix, problems)
        dedup_key = self._dedup_key()
        if action in ("acknowledge", "resolve") and dedup_key is None:
            problems.add(sub(prefix, "dedup_key"), f"is needed to {action}, but selected nothing")
        occurred_at = None
        stamp = self.pick("timestamp").value
        if stamp is not None:
            try:
                occurred_at = _timestamp(stamp)
            except ValueError as exc:
                shown = _as_text(stamp)[:64]
                problems.add(sub(prefix, "timestamp"), f"{exc} (got {shown!r})")
        if summary is None or action is None or len(problems.errors) > before:
            return None
        severity = self.text("severity")
        if severity is not None:
            severity = self.compiled.severity_map.get(severity.strip().lower(), severity)
        return InboundAlert(
            action=action,
            dedup_key=dedup_key,
            summary=summary,
            severity=map_severity(severity, self.compiled.default_severity),
            source=self.text("source") or "generic",
            details=self.text("details", MAX_DETAILS, pretty=True) or "",
            component=self.text("component"),
            group=self.text("group"),
            class_=self.text("class"),
            links=_links(self.pick("links").value),
            occurred_at=occurred_at,
            raw=self.item if isinstance(self.item, dict) else {"value": self.item},
        )

    def _action(self, prefix: str, problems: Problems) -> Action | None:
        status = self.text("action")
        if status is None:
            return self.compiled.default_action
        word = status.strip().lower()
        mapped = self.compiled.status_map.get(word)
        if mapped is not None:
            return mapped
        for action in ACTIONS:
            if word == action:
                return action
        problems.add(
            sub(prefix, "action"),
            f"gave {status[:64]!r}, which is neither in status_map nor one of {', '.join(ACTIONS)}",
        )
        return None

    def _dedup_key(self) -> str | None:
        key = self.text("dedup_key", MAX_DEDUP_KEY * 64)
        if key is not None and len(key) > MAX_DEDUP_KEY:
            return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
        return key


def _timestamp(value: JsonValue) -> datetime:
    """An ISO 8601 string, or a Unix time in seconds (milliseconds when above 10^11)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("is out of range as a Unix time") from None
    if isinstance(value, str):
        return parse_timestamp(value)
    raise ValueError("must be an ISO 8601 string or a Unix time")


def _as_text(value: JsonValue, *, pretty: bool = False) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        return ", ".join(_as_text(v) for v in value if v is not None)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2 if pretty else None)


def _links(value: JsonValue) -> list[Link]:
    candidates = value if isinstance(value, list) else [value]
    links: list[Link] = []
    for candidate in candidates:
        href: JsonValue = candidate
        label: JsonValue = None
        if isinstance(candidate, dict):
            href = candidate.get("href", candidate.get("url"))
            label = candidate.get("text", candidate.get("name"))
        if isinstance(href, str) and url_problem(href.strip()) is None:
            text = clean_text(label, MAX_SHORT_TEXT) if isinstance(label, str) else ""
            links.append(Link(href=href.strip(), text=text or None))
            if len(links) >= MAX_LINKS:
                break
    return links
