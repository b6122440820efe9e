"""Which events each kind of trigger answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from muster.domain.playbooks.schemas import Trigger
from muster.domain.playbooks.triggers import describe, matches

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def trig(**fields: Any) -> Trigger:
    return Trigger.model_validate(fields)


def changed(**changes: Any) -> dict[str, Any]:
    return {"changes": {k: {"from": a, "to": b} for k, (a, b) in changes.items()}}


def test_incident_declared() -> None:
    t = trig(event="incident_declared")
    assert matches(t, "incident.declared", {"severity": 1})
    assert not matches(t, "incident.updated", changed(severity=(2, 1)))


def test_severity_type_and_field_changes() -> None:
    sev, kind = trig(event="severity_changed"), trig(event="type_changed")
    assert matches(sev, "incident.updated", changed(severity=(3, 1)))
    assert not matches(sev, "incident.updated", changed(title=("a", "b")))
    assert matches(kind, "incident.updated", changed(type=("operational", "security")))
    assert not matches(kind, "incident.updated", changed(severity=(3, 1)))
    anything = trig(event="field_changed")
    assert matches(anything, "incident.updated", changed(title=("a", "b")))
    assert not matches(anything, "incident.updated", {"changes": {}})
    tags = trig(event="field_changed", fields=["tags", "services"])
    assert matches(tags, "incident.updated", changed(tags=([], ["x"])))
    assert matches(tags, "incident.updated", changed(service_ids=([], ["s"])))
    assert not matches(tags, "incident.updated", changed(severity=(3, 1)))
    assert not matches(tags, "incident.status_changed", {"from": "triage", "to": "contained"})


def test_status_changed_and_phase_entered() -> None:
    to_any, to_contained = (
        trig(event="status_changed"),
        trig(event="status_changed", to=["contained"]),
    )
    moved = {"from": "triage", "to": "contained"}
    assert matches(to_any, "incident.status_changed", moved)
    assert matches(to_contained, "incident.status_changed", moved)
    assert not matches(
        to_contained, "incident.status_changed", {"from": "triage", "to": "resolved"}
    )
    assert matches(to_any, "incident.reopened", {"from": "resolved"})
    phase = trig(event="phase_entered", phase="recovering")
    assert matches(phase, "incident.status_changed", {"from": "contained", "to": "recovering"})
    assert not matches(phase, "incident.status_changed", moved)
    triage = trig(event="phase_entered", phase="triage")
    assert matches(triage, "incident.declared", {})
    investigating = trig(event="phase_entered", phase="investigating")
    assert matches(investigating, "incident.reopened", {"from": "closed"})


def test_alert_matched_reads_the_alert() -> None:
    t = trig(
        event="alert_matched", condition={"field": "labels.attack", "op": "eq", "value": "ddos"}
    )
    alert = {"labels": {"attack": "ddos"}, "severity": "critical", "summary": "SYN flood"}
    for kind in ("alert.triggered", "alert.retriggered", "alert.linked"):
        assert matches(t, kind, alert, now=NOW)
    assert not matches(t, "alert.triggered", {"labels": {"attack": "none"}}, now=NOW)
    assert not matches(t, "incident.updated", alert, now=NOW)
    anything = trig(event="alert_matched")
    assert matches(anything, "alert.linked", {"labels": {}})


def test_task_completed() -> None:
    t = trig(event="task_completed", title_contains="isolate")
    done = {"title": "Isolate the host", **changed(status=("open", "done"))}
    assert matches(t, "incident.task_updated", done)
    assert not matches(t, "incident.task_updated", {**done, "title": "Call legal"})
    reopened = {"title": "Isolate the host", **changed(status=("done", "open"))}
    assert not matches(t, "incident.task_updated", reopened)
    assert not matches(
        t, "incident.task_updated", {"title": "Isolate", **changed(title=("a", "b"))}
    )
    assert matches(trig(event="task_completed"), "incident.task_updated", done)


def test_deadline_approaching() -> None:
    t = trig(event="deadline_approaching", deadline="gdpr-72h", minutes=120)
    assert matches(t, "incident.deadline_approaching", {"deadline": "GDPR-72h", "minutes_left": 90})
    assert not matches(
        t, "incident.deadline_approaching", {"deadline": "gdpr-72h", "minutes_left": 300}
    )
    assert not matches(
        t, "incident.deadline_approaching", {"deadline": "nis2-24h", "minutes_left": 5}
    )
    assert matches(
        trig(event="deadline_approaching"), "incident.deadline_approaching", {"deadline": "x"}
    )


@pytest.mark.parametrize(
    "event_type",
    ["incident.declared", "incident.updated", "incident.status_changed", "alert.linked"],
)
def test_manual_answers_no_event(event_type: str) -> None:
    assert not matches(trig(event="manual"), event_type, {"changes": {"severity": {}}, "to": "x"})


def test_describe() -> None:
    assert describe(trig(event="severity_changed")) == "severity changed"
    assert describe(trig(event="status_changed", to=["contained"])) == "status changed to contained"
    assert describe(trig(event="phase_entered", phase="recovering")) == "phase entered: recovering"


def test_deadline_approaching_names_a_report_or_a_whole_regime() -> None:
    event = {"deadline": "nis2-23/early-warning", "regime": "nis2-23", "minutes_left": 60}
    assert matches(
        trig(event="deadline_approaching", deadline="nis2-23"),
        "incident.deadline_approaching",
        event,
    )
    assert matches(
        trig(event="deadline_approaching", deadline="NIS2-23/early-warning"),
        "incident.deadline_approaching",
        event,
    )
    assert not matches(
        trig(event="deadline_approaching", deadline="nis2-23/final"),
        "incident.deadline_approaching",
        event,
    )
    assert not matches(
        trig(event="deadline_approaching", deadline="gdpr-33"),
        "incident.deadline_approaching",
        event,
    )
