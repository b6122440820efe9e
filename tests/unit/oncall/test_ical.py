"""The RFC 5545 writer: CRLF, 75-octet folding that never splits a character, escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from muster.domain.oncall.ical import CalendarEvent, calendar, escape_text, fold

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_folds_at_75_octets_without_splitting_characters() -> None:
    line = "SUMMARY:" + "Zoë Ångström 🚨 " * 20
    folded = fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    assert fold("SHORT:x") == "SHORT:x"


def test_escaping_and_round_trip_through_icalendar() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    name = "Payments; EU, night\\shift " + "x" * 80
    events = [
        CalendarEvent("u1@muster", START, START + timedelta(hours=8), f"On call: {name}",
                      "line one\nline two"),
    ]  # fmt: skip
    text = calendar(name, events, START)
    assert text.endswith("END:VCALENDAR\r\n")
    assert all(line.endswith("\r") for line in text.split("\n")[:-1])  # CRLF everywhere
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    parsed = icalendar.Calendar.from_ical(text)
    assert str(parsed["VERSION"]) == "2.0"
    assert str(parsed["PRODID"]).startswith("-//Muster//")
    (event,) = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"On call: {name}"
    assert str(event["DESCRIPTION"]) == "line one\nline two"
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(hours=8)
    assert event.decoded("DTSTAMP") == START
