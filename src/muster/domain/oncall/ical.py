"""A small RFC 5545 writer: exactly what an on-call calendar feed needs.

Lines end in CRLF and are folded at 75 octets (never inside a UTF-8 sequence); TEXT
values are escaped (backslash, semicolon, comma, newline); instants are UTC
(``19980119T070000Z``), to the second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

PRODID = "-//Muster//On-call schedules//EN"
LINE_OCTETS = 75
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def escape_text(value: str) -> str:
    """A TEXT property value (RFC 5545 section 3.3.11)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def utc_stamp(value: datetime) -> str:
    """A DATE-TIME in UTC form, e.g. ``20260105T090000Z``."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets; each continuation line
    starts with one space (which counts toward its 75)."""
    if len(line.encode()) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, LINE_OCTETS
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def calendar(name: str, events: Sequence[CalendarEvent], stamp: datetime) -> str:
    """A whole VCALENDAR (METHOD:PUBLISH) of ``events``; ``stamp`` is when it was made."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    dtstamp = utc_stamp(stamp)
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{dtstamp}",
            f"DTSTART:{utc_stamp(event.start)}",
            f"DTEND:{utc_stamp(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
