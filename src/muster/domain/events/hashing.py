"""The hash that links one event to the previous one of its stream."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

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
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
