"""The hash that links one event to the previous one of its stream."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import orjson

from muster.clock import isoformat

GENESIS = "0" * 64


def event_hash(
    *,
    prev_hash: str,
    stream: str,
    seq: int,
    event_id: str,
    type: str,
    occurred_at: datetime,
    actor_type: str,
    actor_id: str | None,
    actor_label: str,
    via: str,
    token_id: str | None,
    ip: str | None,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    floats: bool | None = None,
) -> str:
    """The event's hash. ``floats=False`` promises ``data`` holds no float (so it needs
    no search for one); None searches."""
    actor = [actor_type, actor_id, actor_label, via, token_id, ip]
    return link_hash(prev_hash, stream, seq, event_id, type, occurred_at, actor, subject_type,
                     subject_id, data, floats)  # fmt: skip


def link_hash(
    prev_hash: str, stream: str, seq: int, event_id: str, type: str, occurred_at: datetime,
    actor: list[str | None], subject_type: str, subject_id: str, data: dict[str, Any],
    floats: bool | None = None,
) -> str:  # fmt: skip
    """:func:`event_hash` with positional arguments and the actor as its list of six
    (type, id, label, via, token id, ip): for appending many events at a time."""
    body = {
        "prev": prev_hash,
        "stream": stream,
        "seq": seq,
        "id": event_id,
        "type": type,
        "at": _at(occurred_at),
        "actor": actor,
        "subject": [subject_type, subject_id],
        "data": data,
    }
    return hashlib.sha256(_canonical(body, floats)).hexdigest()


_last_at: tuple[datetime, str] = (datetime.min.replace(tzinfo=UTC), "")


def _at(occurred_at: datetime) -> str:
    """``isoformat(occurred_at)``; a transaction's events share one time, so the last
    answer is kept."""
    global _last_at
    last = _last_at
    if last[0] is occurred_at:
        return last[1]
    text = isoformat(occurred_at)
    _last_at = (occurred_at, text)
    return text


def _canonical(body: dict[str, Any], floats: bool | None = None) -> bytes:
    """Sorted keys, no spaces, UTF-8. orjson writes exactly what the standard library
    writes for strings, integers, booleans and null (and is several times faster), but
    not for floats: data holding any float goes through the standard library."""
    if floats is False or (floats is None and not _has_float(body["data"])):
        try:
            return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a non-string key
            pass
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return isinstance(value, float)
    for item in items:
        kind = type(item)  # the plain scalars are skipped without a call
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if _has_float(item):
            return True
    return False
