"""The shape every security-tool alert is turned into, and the helpers the parsers share.

A parser fills a :class:`Finding` per detection and calls :meth:`Finding.to_alert`, which
applies the conventions of :mod:`muster.integrations.security` (labels, the ``security``
custom details, the dedup key).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from muster.errors import FieldError, InvalidInput
from muster.integrations.fields import Problems, parse_timestamp, type_name
from muster.integrations.normalized import (
    MAX_DEDUP_KEY,
    MAX_DETAILS,
    MAX_LABEL_VALUE,
    MAX_SHORT_TEXT,
    MAX_SUMMARY,
    InboundAlert,
    InboundBatch,
    JsonObject,
    JsonValue,
    Link,
    Severity,
    clean_text,
    decode_json,
    load_json,
)

MAX_HASHES = 20
_TECHNIQUE = re.compile(r"\bT\d{4}(?:\.\d{3})?\b", re.IGNORECASE)
_HASH = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}")


@dataclass(frozen=True, slots=True)
class SecurityBatch:
    """The alerts of one request, and how many records were not alerts (ignored)."""

    alerts: list[InboundAlert]
    ignored: int = 0

    def as_batch(self) -> InboundBatch:
        return InboundBatch(alerts=self.alerts)


@dataclass(slots=True)
class Finding:
    """One detection, tool-neutral. ``where`` are the parts that, with the tool and the
    rule, make the dedup key (host, source address...)."""

    tool: str
    summary: str
    severity: Severity
    rule: str
    where: tuple[str | None, ...] = ()
    details: str = ""
    rule_id: str | None = None
    signature_id: str | None = None
    techniques: list[str] = field(default_factory=list)
    tactics: list[str] = field(default_factory=list)
    src_ip: str | None = None
    src_port: int | None = None
    dest_ip: str | None = None
    dest_port: int | None = None
    user: str | None = None
    host: str | None = None
    domain: str | None = None
    hashes: list[str] = field(default_factory=list)
    process: str | None = None
    file: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    extra: JsonObject = field(default_factory=dict)
    source: str | None = None
    component: str | None = None
    group: str | None = None
    occurred_at: datetime | None = None
    links: list[Link] = field(default_factory=list)
    raw: JsonObject = field(default_factory=dict)

    def to_alert(self) -> InboundAlert:
        observables = self._observables()
        labels = {name: clean_text(value, MAX_LABEL_VALUE) for name, value in self.labels.items()}
        labels["tool"] = self.tool
        for name in ("rule_id", "signature_id"):
            value = getattr(self, name)
            if value:
                labels[name] = clean_text(value, MAX_LABEL_VALUE)
        if self.techniques:
            labels["mitre_techniques"] = ",".join(sorted(set(self.techniques)))
        if self.tactics:
            labels["mitre_tactics"] = clean_text(",".join(dict.fromkeys(self.tactics)), 1024)
        for name in ("src_ip", "dest_ip", "user", "host", "domain"):
            value = observables.get(name)
            if isinstance(value, str):
                labels[name] = value
        security: JsonObject = {"tool": self.tool, **observables}
        return InboundAlert(
            action="trigger",
            dedup_key=dedup_key(self.tool, self.rule, *self.where),
            summary=clean_text(self.summary, MAX_SUMMARY) or f"{self.tool} alert",
            details=clean_text(self.details, MAX_DETAILS),
            severity=self.severity,
            source=short(self.source) or _text(observables.get("host")) or self.tool,
            component=short(self.component),
            group=short(self.group),
            class_=short(self.rule),
            labels=labels,
            custom_details={"security": security, **self.extra},
            links=self.links,
            occurred_at=self.occurred_at,
            raw=self.raw,
        )

    def _observables(self) -> JsonObject:
        found: JsonObject = {}
        for name in ("src_ip", "dest_ip"):
            address = ip_text(getattr(self, name))
            if address:
                found[name] = address
        for name in ("src_port", "dest_port"):
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
                found[name] = value
        for name in ("user", "host", "domain", "process", "file"):
            text = short(getattr(self, name))
            if text:
                found[name] = text
        hashes = [h.lower() for h in dict.fromkeys(self.hashes) if _HASH.fullmatch(h)]
        if hashes:
            found["hashes"] = list(hashes[:MAX_HASHES])
        return found


def _text(value: JsonValue) -> str | None:
    return value if isinstance(value, str) else None


# --- small readers ----------------------------------------------------------------------


def short(value: str | None) -> str | None:
    """Cleaned short text, ``None`` when blank."""
    if value is None:
        return None
    return clean_text(value, MAX_SHORT_TEXT) or None


def ip_text(value: str | None) -> str | None:
    """A valid IPv4/IPv6 address in its canonical form, else ``None``."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def dedup_key(tool: str, *parts: str | None) -> str:
    """``tool:part:part``; hashed when longer than a dedup key may be."""
    key = ":".join([tool, *(clean_text(p or "", 256) for p in parts)])
    if len(key) <= MAX_DEDUP_KEY:
        return key
    return f"{tool}:sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def techniques_in(values: Iterable[str]) -> list[str]:
    """MITRE ATT&CK technique ids (``T1059``, ``T1059.001``) found in ``values``."""
    found: list[str] = []
    for value in values:
        found += [match.upper() for match in _TECHNIQUE.findall(value)]
    return list(dict.fromkeys(found))


def get_path(doc: JsonObject, dotted: str) -> JsonValue:
    """``doc["a"]["b"]["c"]`` for ``"a.b.c"``; a flattened key (``doc["a.b.c"]`` or
    ``doc["a"]["b.c"]``) counts too, as ECS documents come both ways."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix not in doc:
            continue
        value = doc[prefix]
        if cut == len(parts):
            return value
        if isinstance(value, dict):
            found = get_path(value, ".".join(parts[cut:]))
            if found is not None:
                return found
    return None


def text_at(doc: JsonObject, *paths: str) -> str | None:
    """The first of ``paths`` holding a string or number, as text (lists: first item)."""
    for path in paths:
        value = get_path(doc, path)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, str | int | float):
            text = clean_text(str(value), MAX_SHORT_TEXT)
            if text:
                return text
    return None


def texts_at(doc: JsonObject, path: str) -> list[str]:
    """Every string (or number) at ``path``, a single value or a list of them."""
    value = get_path(doc, path)
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if isinstance(v, str | int | float) and not isinstance(v, bool)]


def timestamp_at(doc: JsonObject, key: str, path: str, problems: Problems) -> datetime | None:
    """An optional timestamp: ISO 8601 text (a malformed one is an error), or epoch
    seconds/milliseconds/nanoseconds as a number."""
    value = get_path(doc, key)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch(value)
    if not isinstance(value, str):
        problems.add(field_at(path, key), f"must be a date-time, not {type_name(value)}")
        return None
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        problems.add(field_at(path, key), f"{exc} (got {value[:64]!r})")
        return None


def field_at(path: str, dotted: str) -> str:
    """How errors name field ``dotted`` of the record at ``path`` (``""`` for a lone
    object, ``body[2]``, ``line 3``)."""
    if not path:
        return dotted
    return f"{path}: {dotted}" if path.startswith("line ") else f"{path}.{dotted}"


def epoch(value: float) -> datetime | None:
    """A Unix time in seconds, milliseconds or nanoseconds (told apart by size)."""
    seconds = float(value)
    while abs(seconds) > 1e11:  # milliseconds, microseconds or nanoseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def int_at(doc: JsonObject, key: str) -> int | None:
    """An integer (or integer text) at ``key``, else ``None``."""
    value = get_path(doc, key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 12:
        return int(value.strip())
    return None


def summary_with(text: str, *context: str | None) -> str:
    """``text`` followed by the non-empty ``context`` in brackets."""
    extra = ", ".join(c for c in context if c)
    return clean_text(f"{text} ({extra})" if extra else text, MAX_SUMMARY)


def banded(value: int, *, critical: int, error: int, warning: int) -> Severity:
    """A tool's score (higher is worse) on our scale, given the lowest score of each band;
    below ``warning`` is info."""
    if value >= critical:
        return "critical"
    if value >= error:
        return "error"
    if value >= warning:
        return "warning"
    return "info"


# Reads one record (with the path naming it in errors): its findings, none when it has
# problems (each added to the Problems).
FindingsOf = Callable[[JsonObject, str, Problems], Iterable[Finding]]


def parse_records(body: object, detail: str, findings_of: FindingsOf) -> SecurityBatch:
    """The alerts of every finding of every record of ``body`` (:func:`read_records`).

    Raises :class:`InvalidInput` (``detail``) naming every problem of every record, so a
    body is taken whole or not at all, or :class:`TooLarge`.
    """
    problems = Problems()
    alerts = [
        finding.to_alert()
        for path, doc in read_records(body, detail)
        for finding in findings_of(doc, path, problems)
    ]
    problems.raise_if_any(detail)
    return SecurityBatch(alerts)


def read_records(body: object, detail: str) -> list[tuple[str, JsonObject]]:
    """The JSON objects of a body: one object, a list of objects, or JSON lines (one
    object per line, as tools write their event logs). Each comes with the path naming
    it in errors (``""`` for a lone object, ``body[2]``, ``line 3``). Blank lines are skipped.

    Raises :class:`InvalidInput` naming every bad line or item, or :class:`TooLarge`.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        return _records_of(load_json(body), detail)
    raw = bytes(body)
    lines = raw.split(b"\n")
    try:
        whole = decode_json(raw)
    except InvalidInput:
        if sum(1 for line in lines if line.strip()) < 2:
            raise
    else:
        return _records_of(whole, detail)
    problems = Problems()
    records: list[tuple[str, JsonObject]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            value = decode_json(line)
        except InvalidInput as exc:
            problems.add(where, exc.errors[0].reason if exc.errors else exc.detail)
            continue
        if isinstance(value, dict):
            records.append((where, value))
        else:
            problems.add(where, f"must be a JSON object, not {type_name(value)}")
    problems.raise_if_any(detail)
    return records


def _records_of(value: JsonValue, detail: str) -> list[tuple[str, JsonObject]]:
    if isinstance(value, dict):
        return [("", value)]
    if isinstance(value, list):
        problems = Problems()
        if not value:
            problems.add("body", "holds no records")
        records: list[tuple[str, JsonObject]] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                records.append((f"body[{index}]", item))
            else:
                problems.add(f"body[{index}]", f"must be a JSON object, not {type_name(item)}")
        problems.raise_if_any(detail)
        return records
    raise InvalidInput(
        detail, errors=[FieldError("body", f"must be a JSON object, not {type_name(value)}")]
    )
