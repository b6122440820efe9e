"""Audit events as RFC 5424 syslog messages, and their framing on the wire.

One message per event::

    <110>1 2026-01-05T09:00:00.000000Z muster.example.org muster - service.updated
        [muster@32473 id="..." position="42" actor="ada@example.org" via="api" ...] BOM{json}

Facility 13 (log audit), severity 6 (informational): PRI 110. MSGID is the event type
(cut to 32 characters), the structured data carries the fields a SIEM indexes on, and
MSG is the whole event as JSON (UTF-8, after a byte-order mark as RFC 5424 asks).
32473 is the enterprise number RFC 5612 reserves for examples: Muster has none of its own.

Framing: UDP sends one message per datagram (RFC 5426); TCP and TLS use octet counting,
``<length> <message>`` (RFC 6587 section 3.4.1, RFC 5425).
"""

from __future__ import annotations

import json
from typing import Any

PRI = 13 * 8 + 6
SD_ID = "muster@32473"
BOM = b"\xef\xbb\xbf"
# An IPv4 UDP datagram carries at most 65,507 bytes: a longer event's data is cut.
MAX_DATAGRAM = 65_000
_SD_FIELDS = ("id", "position", "actor", "via", "token_id", "ip", "subject_type", "subject_id")


def _header_token(text: str, limit: int) -> str:
    """Printable US-ASCII without spaces, at most ``limit`` long; "-" when empty."""
    cleaned = "".join(c for c in text if 33 <= ord(c) <= 126)[:limit]
    return cleaned or "-"


def _param(value: Any) -> str:
    text = str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _timestamp(record: dict[str, Any]) -> str:
    stamp = str(record["occurred_at"])
    return stamp.replace("+00:00", "Z")


def format_message(record: dict[str, Any], hostname: str, *, limit: int | None = None) -> bytes:
    """One event record (see :func:`muster.domain.audit.export.event_record`) as an RFC
    5424 message; with ``limit``, the JSON body is replaced by a shorter one (marked
    ``"truncated": true``) when the whole would not fit."""
    params = " ".join(
        f'{name}="{_param(record[name])}"' for name in _SD_FIELDS if record.get(name) is not None
    )
    head = (
        f"<{PRI}>1 {_timestamp(record)} {_header_token(hostname, 255)} muster - "
        f"{_header_token(str(record['type']), 32)} [{SD_ID} {params}] "
    ).encode()
    body = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False).encode()
    message = head + BOM + body
    if limit is not None and len(message) > limit:
        short = {k: v for k, v in record.items() if k not in ("data", "changes")}
        short["truncated"] = True
        message = head + BOM + json.dumps(short, sort_keys=True, default=str).encode()
    return message


def octet_counted(message: bytes) -> bytes:
    return str(len(message)).encode() + b" " + message
