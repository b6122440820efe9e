"""Validation helpers shared by the inbound parsers.

Parsers collect every problem into a :class:`Problems` and raise once, so a sender sees all
its mistakes at a time. Field names are dotted JSON paths (``alerts[3].labels.severity``);
reasons are phrased to follow the field name (``'payload.summary' is missing or blank``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import TypeGuard
from urllib.parse import urlsplit

from muster.errors import FieldError, InvalidInput
from muster.integrations.normalized import (
    MAX_LABEL_NAME,
    MAX_LABEL_VALUE,
    MAX_LABELS,
    MAX_URL,
    JsonObject,
    clean_text,
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Problems:
    """Collects field errors so one response can name every bad field."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, reason: str) -> None:
        self.errors.append(FieldError(field or "body", reason))

    def raise_if_any(self, detail: str) -> None:
        """Raise :class:`InvalidInput` with ``detail`` if any error was collected."""
        if self.errors:
            raise InvalidInput(detail, errors=list(self.errors))


def sub(path: str, key: str | int) -> str:
    """The path of ``key`` inside ``path``: ``a.b``, ``a[3]``, ``a["odd key"]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not _IDENTIFIER.match(key):
        shown = key if len(key) <= 64 else key[:63] + "\u2026"
        escaped = shown.replace("\\", "\\\\").replace('"', '\\"')
        return f'{path}["{_CONTROL.sub("?", escaped)}"]'
    return f"{path}.{key}" if path else key


def is_object(value: object) -> TypeGuard[JsonObject]:
    """Whether a (checked) JSON value is an object."""
    return isinstance(value, dict)


def type_name(value: object) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def opt_str(obj: JsonObject, key: str, path: str, problems: Problems) -> str | None:
    """``obj[key]`` when it is a string; ``None`` when absent or null; else an error."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(sub(path, key), f"must be a string, not {type_name(value)}")
        return None
    return value


def req_str(obj: JsonObject, key: str, path: str, problems: Problems) -> str | None:
    """Like :func:`opt_str`, but a missing or blank value is an error too."""
    if obj.get(key) is None:
        problems.add(sub(path, key), "is missing or blank")
        return None
    value = opt_str(obj, key, path, problems)
    if value is None:  # the wrong type, already reported
        return None
    if not value.strip():
        problems.add(sub(path, key), "is missing or blank")
        return None
    return value


def short_text(
    obj: JsonObject, key: str, path: str, problems: Problems, max_len: int
) -> str | None:
    """An optional string, cleaned and truncated; blank counts as absent."""
    value = opt_str(obj, key, path, problems)
    if value is None:
        return None
    return clean_text(value, max_len) or None


def count(obj: JsonObject, key: str, path: str, problems: Problems) -> int:
    """An optional non-negative integer (``0`` when absent)."""
    value = obj.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(sub(path, key), "must be a non-negative integer")
        return 0
    return value


# --- timestamps -----------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,32}))?)?"
    r"\s?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?"
)


@lru_cache(maxsize=512)  # senders repeat timestamps (a group's alerts, Go's zero time)
def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 date-time into aware UTC.

    Accepts ``Z``, ``+HH:MM``, ``+HHMM`` and ``+HH`` offsets, any number of fractional
    digits (kept to microseconds) and a ``T`` or space separator. A time without an
    offset is taken as UTC. Raises :class:`ValueError` when the text is not a date-time.
    """
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise ValueError("is not an ISO 8601 date-time")
    year, month, day, hour, minute, second, fraction, _z, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = UTC
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        if offset >= timedelta(hours=24) or int(off_m or 0) > 59:
            raise ValueError("has an invalid UTC offset")
        tz = timezone(-offset if sign == "-" else offset)
    try:
        local = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError("is not a valid date-time") from None


def opt_timestamp(obj: JsonObject, key: str, path: str, problems: Problems) -> datetime | None:
    """An optional ISO 8601 timestamp field, parsed to aware UTC."""
    text = opt_str(obj, key, path, problems)
    if text is None or not text.strip():
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        problems.add(sub(path, key), f"{exc} (got {text[:64]!r})")
        return None


# --- URLs, links, images --------------------------------------------------------------


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a safe http(s) link, or ``None`` if it is one."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if _CONTROL.search(url) or " " in url:
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "must be an absolute http or https URL"
    return None


def lenient_url(obj: JsonObject, key: str, path: str, problems: Problems) -> str | None:
    """An optional URL that is dropped (not an error) when unsafe or malformed.

    For machine senders that cannot fix their payload: a bad link is not worth an alert.
    A value of the wrong JSON type is still an error.
    """
    url = opt_str(obj, key, path, problems)
    if url is None or url_problem(url.strip()) is not None:
        return None
    return url.strip()


def strict_url(obj: JsonObject, key: str, path: str, problems: Problems) -> str | None:
    """An optional URL that must be a valid http(s) URL when present."""
    url = opt_str(obj, key, path, problems)
    if url is None or not url.strip():
        return None
    reason = url_problem(url.strip())
    if reason is not None:
        problems.add(sub(path, key), reason)
        return None
    return url.strip()


# --- string maps (labels, annotations) ------------------------------------------------


def string_map(
    obj: JsonObject,
    key: str,
    path: str,
    problems: Problems,
    *,
    max_value: int = MAX_LABEL_VALUE,
    required: bool = False,
) -> dict[str, str]:
    """A map of string to string (labels, annotations).

    More than :data:`MAX_LABELS` entries, an empty name, a name longer than
    :data:`MAX_LABEL_NAME` or holding control characters, or a value that is not a string
    is an error; a value longer than ``max_value`` is truncated.
    """
    value = obj.get(key)
    if value is None:
        if required:
            problems.add(sub(path, key), "is missing")
        return {}
    if not isinstance(value, dict):
        problems.add(sub(path, key), f"must be an object, not {type_name(value)}")
        return {}
    if len(value) > MAX_LABELS:
        problems.add(sub(path, key), f"must have at most {MAX_LABELS} entries (got {len(value)})")
        return {}
    result: dict[str, str] = {}
    for name, item in value.items():
        if not name or len(name) > MAX_LABEL_NAME or _has_control(name):
            problems.add(
                sub(path, key),
                f"has an invalid name {name[:64]!r}: names must be 1 to {MAX_LABEL_NAME} "
                "characters without control characters",
            )
        elif not isinstance(item, str):
            problems.add(sub(sub(path, key), name), f"must be a string, not {type_name(item)}")
        else:
            result[name] = clean_text(item, max_value)
    return result


def _has_control(text: str) -> bool:
    # Printable text holds no control characters (the common case, tested at C speed).
    return not text.isprintable() and _CONTROL.search(text) is not None
