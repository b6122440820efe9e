"""The shared output of every inbound parser, and the helpers all of them use.

Every format (Alertmanager, Grafana, PagerDuty, generic JSON, email) ends up as an
:class:`InboundAlert` (or an :class:`InboundBatch` of them, or a :class:`ChangeEvent`).
Datetimes are always timezone-aware UTC.

Limits, and what happens when they are broken:

* the body: more than :data:`MAX_BODY_BYTES` (512 KB) → :class:`~muster.errors.TooLarge`;
  invalid UTF-8, malformed JSON, ``NaN``/``Infinity``, unpaired surrogate escapes or nesting
  deeper than :data:`MAX_JSON_DEPTH` → :class:`~muster.errors.InvalidInput`; NUL
  characters (``\\u0000``) are dropped from keys and strings, since PostgreSQL can store
  none in text or JSONB;
* free text (summaries, details, annotation values) is cleaned of control characters and
  **truncated** with an ellipsis (see :func:`clean_text`) - a sender such as Alertmanager
  cannot shorten its text, and losing the alert would be worse;
* labels: more than :data:`MAX_LABELS` entries, or a name longer than
  :data:`MAX_LABEL_NAME` characters, is an **error** (names are identity, truncating them
  could merge different alerts); a value longer than :data:`MAX_LABEL_VALUE` characters is
  **truncated**.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any, Literal, TypeAlias, Union, cast

import orjson

from muster.errors import FieldError, InvalidInput, TooLarge

Action = Literal["trigger", "acknowledge", "resolve"]
Severity = Literal["critical", "error", "warning", "info"]
JsonValue: TypeAlias = Union[  # noqa: UP007 - a recursive alias needs the string form
    dict[str, "JsonValue"], list["JsonValue"], str, int, float, bool, None
]
JsonObject: TypeAlias = dict[str, JsonValue]

ACTIONS: tuple[Action, ...] = ("trigger", "acknowledge", "resolve")
SEVERITIES: tuple[Severity, ...] = ("critical", "error", "warning", "info")

MAX_BODY_BYTES = 512 * 1024
MAX_JSON_DEPTH = 32
MAX_SUMMARY = 1024
MAX_DETAILS = 64 * 1024
MAX_SHORT_TEXT = 1024  # source, component, group, class, client, link text
MAX_URL = 2048
MAX_DEDUP_KEY = 255
MAX_LABELS = 200
MAX_LABEL_NAME = 1024
MAX_LABEL_VALUE = 4096
MAX_ANNOTATION_VALUE = 16 * 1024


@dataclass(frozen=True, slots=True)
class Link:
    """A link shown with the alert."""

    href: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """An image shown with the alert; ``href`` makes it clickable."""

    src: str
    href: str | None = None
    alt: str | None = None


@dataclass(frozen=True, slots=True)
class InboundAlert:
    """One alert event, whatever format it came in.

    ``dedup_key`` is the upsert key; ``None`` means the sender gave none and the caller
    must make one. ``raw`` is the alert's own part of the payload, as received.
    """

    action: Action
    dedup_key: str | None
    summary: str
    severity: Severity
    source: str
    details: str = ""
    component: str | None = None
    group: str | None = None
    class_: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    custom_details: JsonObject = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    occurred_at: datetime | None = None
    ends_at: datetime | None = None
    client: str | None = None
    client_url: str | None = None
    generator_url: str | None = None
    raw: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InboundBatch:
    """Several alerts delivered in one request (an Alertmanager group, for example).

    ``truncated_alerts`` counts alerts the sender left out of this message.
    """

    alerts: list[InboundAlert]
    group_key: str | None = None
    truncated_alerts: int = 0
    receiver: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A change (a deploy, a config push): recorded on the timeline, never pages."""

    summary: str
    source: str | None = None
    timestamp: datetime | None = None
    custom_details: JsonObject = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)


# --- severity -------------------------------------------------------------------------

_SEVERITY_WORDS: dict[str, Severity] = {
    **dict.fromkeys(("critical", "crit", "page", "p1", "sev1", "fatal"), "critical"),
    **dict.fromkeys(("error", "err", "high", "major", "p2", "sev2"), "error"),
    **dict.fromkeys(("warning", "warn", "medium", "minor", "p3", "sev3"), "warning"),
    **dict.fromkeys(("info", "information", "low", "none", "p4", "p5", "sev4"), "info"),
}


def map_severity(word: str | None, default: Severity = "warning") -> Severity:
    """Map a sender's severity word to ours, case-insensitively; unknown → ``default``."""
    if word is None:
        return default
    return _SEVERITY_WORDS.get(word.strip().lower(), default)


# --- text -----------------------------------------------------------------------------

# C0 and C1 controls except tab and newline, DEL, bidi overrides/isolates, unpaired
# surrogates, and the byte-order mark.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_ELLIPSIS = "\u2026"


def clean_text(text: str, max_len: int) -> str:
    """Drop control characters (keeping ``\\n`` and ``\\t``), normalise ``\\r\\n`` to ``\\n``,
    trim surrounding whitespace, and cut to ``max_len`` characters, ending with an
    ellipsis when cut."""
    if text.isprintable():  # no controls, format characters nor surrogates: nothing to drop
        cleaned = text.strip()
    else:
        cleaned = _UNWANTED.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(cleaned) <= max_len:
        return cleaned
    if max_len < 1:
        return ""
    return cleaned[: max_len - 1].rstrip() + _ELLIPSIS


# --- JSON -----------------------------------------------------------------------------

# A JSON string, or an unterminated one running to the end of the text. It always matches
# at a quote, so scanning stays linear even on hostile input.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _too_deep(text: str, max_depth: int) -> bool:
    """Whether brackets outside strings nest deeper than ``max_depth``, without recursion
    (and without a Python-level loop over the characters)."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > max_depth


class _ConstantRefused(ValueError):
    pass


def _reject_constant(name: str) -> JsonValue:
    raise _ConstantRefused(f"{name} is not allowed")


def _invalid_body(reason: str) -> InvalidInput:
    return InvalidInput(f"The body {reason}.", errors=[FieldError("body", reason)])


def decode_json(
    body: bytes, *, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> JsonValue:
    """Decode a request body as JSON, refusing anything oversized, malformed or too deep."""
    if len(body) > max_bytes:
        raise TooLarge(f"The body is {len(body)} bytes; the limit is {max_bytes} bytes.")
    fast = _fast_decode(body, max_depth)
    if fast is not _SLOW:
        return cast(JsonValue, fast)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid_body(f"is not valid UTF-8 (bad byte at offset {exc.start})") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise _invalid_body("is empty")
    if _too_deep(text, max_depth):
        raise _invalid_body(f"nests deeper than {max_depth} levels")
    try:
        value: JsonValue = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _invalid_body(
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise _invalid_body(f"nests deeper than {max_depth} levels") from None
    except _ConstantRefused as exc:
        raise _invalid_body(f"is not valid JSON: {exc}") from None
    except ValueError:  # an integer beyond Python's digit limit
        raise _invalid_body("has a number with too many digits") from None
    checked = check_json(value, max_depth=max_depth)
    return without_nul(checked) if "\\u0000" in text else checked


_SLOW: Any = object()  # _fast_decode's answer when the body needs the careful path
# Integers of 19 digits or more may not fit 64 bits: orjson reads those as floats, the
# standard library as integers (kept exactly). Found by mapping every digit to "0" and
# everything else to " " (far faster than a regular expression over the body).
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


def _fast_decode(body: bytes, max_depth: int) -> Any:
    """The body decoded by orjson when that gives exactly what the careful path gives.

    orjson refuses what :func:`decode_json` refuses (invalid UTF-8, unpaired surrogates,
    ``NaN``/``Infinity``, numbers beyond a double); anything it refuses, a byte-order mark,
    and long digit runs go the careful path, which also words the error. Depth is checked
    on the decoded value: orjson itself stops at 1024 levels, without recursing in Python.
    """
    if _LONG_DIGITS in body.translate(_DIGITS_AS_ZERO):
        return _SLOW
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _SLOW
    if _depth_over(value, max_depth):
        raise _invalid_body(f"nests deeper than {max_depth} levels")
    return without_nul(value) if b"\\u0000" in body else value


def _depth_over(value: object, max_depth: int) -> bool:
    """Whether containers nest deeper than ``max_depth`` (the outermost is level 1);
    level by level, so any depth is safe to inspect."""
    level: list[Any] = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return True
        deeper: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            deeper += [v for v in children if type(v) is dict or type(v) is list]
        level = deeper
    return False


def check_json(value: object, *, max_depth: int = MAX_JSON_DEPTH) -> JsonValue:
    """Check that an already-decoded value is plain, safe JSON and return it.

    Refuses (with :class:`~muster.errors.InvalidInput`) non-JSON types, non-string keys,
    ``NaN``/``Infinity``, strings holding unpaired surrogates, and nesting deeper than
    ``max_depth``. Walks iteratively, so any depth is safe to inspect.
    """
    problem = _scalar_problem(value) if not isinstance(value, dict | list) else None
    stack: list[tuple[object, int, _Trail]] = []
    if isinstance(value, dict | list) and max_depth < 1:
        problem = f"nests deeper than {max_depth} levels"
    elif isinstance(value, dict | list):
        stack.append((value, 1, None))
    while stack and problem is None:
        container, depth, trail = stack.pop()
        if isinstance(container, dict):
            if any(not isinstance(k, str) or not _encodable(k) for k in container):
                problem = f"has an invalid object key at {_render(trail)}"
                break
            pairs: Iterable[tuple[str | int, object]] = container.items()
        else:
            pairs = enumerate(container)  # type: ignore[arg-type]  # a list here
        for key, child in pairs:
            if isinstance(child, dict | list):
                if depth >= max_depth:
                    problem = f"nests deeper than {max_depth} levels (at {_render(trail)})"
                    break
                if child:  # an empty container holds nothing more to check
                    stack.append((child, depth + 1, (trail, key)))
                continue
            reason = _scalar_problem(child)
            if reason is not None:
                problem = f"{reason} at {_render((trail, key))}"
                break
    if problem is not None:
        raise _invalid_body(problem)
    return value  # type: ignore[return-value]  # checked above: plain JSON


_Trail = tuple["_Trail", str | int] | None


def _render(trail: _Trail) -> str:
    keys: list[str | int] = []
    while trail is not None:
        trail, key = trail
        keys.append(key)
    path = "body"
    for key in reversed(keys):
        path = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key[:64]}"
    return path


def _scalar_problem(item: object) -> str | None:
    if isinstance(item, str):
        return None if _encodable(item) else "has an unpaired surrogate in a string"
    if isinstance(item, float):
        return None if math.isfinite(item) else "has NaN or Infinity"
    if item is None or isinstance(item, int):  # bool is an int
        return None
    return f"has a non-JSON value of type {type(item).__name__}"


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_json(body: object, *, max_bytes: int = MAX_BODY_BYTES) -> JsonValue:
    """Raw bytes → :func:`decode_json`; anything else is taken as decoded JSON and checked."""
    if isinstance(body, bytes | bytearray | memoryview):
        return decode_json(bytes(body), max_bytes=max_bytes)
    return without_nul(check_json(body))


def without_nul(value: JsonValue) -> JsonValue:
    """``value`` without NUL characters in its keys and strings.

    Precondition: ``value`` passed :func:`check_json`, so its depth is bounded.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {key.replace("\x00", ""): without_nul(item) for key, item in value.items()}
    return value
