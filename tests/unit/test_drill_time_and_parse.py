"""Drill time (pauses left out) and reading scenario YAML: each problem named with its
field path and line; references between injects, roles and expectations checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from muster.domain.drills.drill_time import end_pause, minutes, offset_at, start_pause, wall_at
from muster.domain.drills.models import DrillRun
from muster.domain.drills.parse import parse_scenario
from muster.errors import InvalidInput

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_drill_time_leaves_pauses_out_both_ways() -> None:
    run = DrillRun(started_at=T0, pauses=[])
    start_pause(run, T0 + timedelta(minutes=2))
    assert offset_at(run, T0 + timedelta(hours=1)) == 120  # still paused
    assert wall_at(run, 300) is None  # not reached while paused
    end_pause(run, T0 + timedelta(minutes=12))
    assert offset_at(run, T0 + timedelta(minutes=13)) == 180
    assert wall_at(run, 300) == T0 + timedelta(minutes=15)
    assert wall_at(run, 60) == T0 + timedelta(minutes=1)  # before the pause: untouched
    assert minutes(185) == "3:05"
    assert minutes(None) == "-"


def _errors(source: str) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_scenario(source)
    return {e.field: e.reason for e in caught.value.errors}


def test_problems_name_the_field_and_line() -> None:
    base = "key: k\ntitle: T\nroles: [{key: commander}]\n"
    assert _errors(base + "injects:\n  - {name: a, kind: fact}\n") == {
        "injects.0": "a fact inject needs text (line 5)"
    }
    found = _errors(
        base
        + "injects:\n  - {name: a, kind: fact, text: t}\n  - {name: a, kind: message, text: t, to_role: nobody, after: b}\n"
    )
    assert found == {
        "injects.1.name": "'a' is used twice (line 6)",
        "injects.1.after": "no earlier inject is named 'b' (line 6)",
        "injects.1.to_role": "the scenario has no role 'nobody' (line 6)",
    }
    timed = _errors(base + "injects: [{name: a, kind: fact, text: t, at_minute: 2, after: a}]\n")
    assert "at_minute is for injects without after/when" in timed["injects.0"]
    assert _errors(
        base
        + "injects: [{name: a, kind: fact, text: t}]\nexpectations:\n  - {name: e, title: E, check: severity_set, within_minutes: 5}\n"
    ) == {"expectations.0": "severity_set needs a value from 1 to 5 (line 6)"}
    assert _errors(
        base
        + "injects: [{name: a, kind: fact, text: t}]\nexpectations:\n  - {name: e, title: E, check: incident_declared}\n"
    ) == {"expectations.0": "an automatic expectation needs within_minutes (line 6)"}
    assert _errors(base + "injects: [{name: a, kind: fact, text: t, colour: red}]\n") == {
        "injects.0.colour": "unknown key (line 4)"
    }
    assert _errors("- just\n- a list\n") == {"source": "a scenario is a mapping (key: value lines)"}
