"""The hash that links one event to the previous one of its stream."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
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
) -> str:
    body = {
        "prev": prev_hash,
        "stream": stream,
        "seq": seq,
        "id": event_id,
        "type": type,
        "at": isoformat(occurred_at),
        "actor": [actor_type, actor_id, actor_label, via, token_id, ip],
        "subject": [subject_type, subject_id],
        "data": data,
    }
    return hashlib.sha256(_canonical(body)).hexdigest()


def _canonical(body: dict[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8. orjson writes exactly what the standard library
    writes for strings, integers, booleans and null (and is several times faster), but
    not for floats: data holding any float goes through the standard library."""
    if not _has_float(body["data"]):
        try:
            return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a non-string key
            pass
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _has_float(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)
