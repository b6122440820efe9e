"""Playbooks attaching to incidents from the event log (engine module playbook_triggers):
on declaration, when severity rises (conditions start to hold), on status changes, on
alerts seen on the incident; at most once unless repeatable; only events after the
playbook exists; never disabled playbooks or closed incidents. Cancelling a run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from incident_alerts_support import make_integration
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import GroupingIn
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.schemas import IncidentUpdate
from muster.domain.incidents.service import do_update_incident
from muster.domain.incidents.transitions import do_transition
from muster.domain.playbooks import service
from muster.domain.playbooks.models import PlaybookRun
from muster.domain.playbooks.runs import do_cancel_run, runs_for_incident
from muster.engine.modules.playbook_triggers import PlaybookTriggers
from muster.errors import Conflict
from muster.integrations.normalized import InboundAlert

OUTAGE = """\
key: big-outage
name: Big outage
triggers:
  - event: incident_declared
  - event: severity_changed
conditions:
  all:
    - {field: severity, op: lte, value: 2}
    - {field: services, op: eq, value: checkout}
steps:
  - {name: first, kind: wait, minutes: 5}
  - {name: second, kind: wait, minutes: 5}
"""
CONTAINED = """\
key: on-contained
name: On contained
repeatable: true
triggers: [{event: status_changed, to: [contained]}, {event: phase_entered, phase: recovering}]
steps: [{name: only, kind: wait, minutes: 1}]
"""
DDOS = """\
key: ddos-alert
name: DDoS alert
triggers:
  - event: alert_matched
    condition: {field: labels.attack, op: eq, value: ddos}
steps: [{name: only, kind: wait, minutes: 1}]
"""


def apply(db: Database, cast: Cast, source: str) -> str:
    with db.unit_of_work() as uow:
        playbook = service.do_apply_playbook(uow, cast.boss, source)
        uow.commit()
        return playbook.id


def react(db: Database, clock: ManualClock) -> int:
    clock.advance(timedelta(seconds=1))
    with db.unit_of_work() as uow:
        started = PlaybookTriggers().run_due(uow, uow.now)
        uow.commit()
        return started


def runs_of(db: Database, cast: Cast, incident_id: str) -> list[tuple[str, str]]:
    with db.unit_of_work(readonly=True) as uow:
        return [
            (r.playbook.key, r.trigger) for r in runs_for_incident(uow, cast.admin, incident_id)
        ]


def update(db: Database, cast: Cast, incident_id: str, **fields: object) -> None:
    with db.unit_of_work() as uow:
        do_update_incident(uow, cast.ic, incident_id, IncidentUpdate.model_validate(fields))
        uow.commit()


def test_attaches_when_severity_rises_and_only_once(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    apply(db, cast, OUTAGE)
    clock.advance(timedelta(seconds=1))
    minor = declare(db, cast.ic, severity=3, service_ids=[cast.service])
    elsewhere = declare(db, cast.ic, severity=1)  # no checkout: conditions do not hold
    assert react(db, clock) == 0
    update(db, cast, minor, severity=1)
    update(db, cast, elsewhere, severity=2)
    assert react(db, clock) == 1
    assert runs_of(db, cast, minor) == [("big-outage", "severity changed")]
    assert runs_of(db, cast, elsewhere) == []
    update(db, cast, minor, severity=2)
    update(db, cast, minor, severity=1)
    assert react(db, clock) == 0  # not repeatable: at most once per incident
    assert react(db, clock) == 0
    major = declare(db, cast.ic, severity=2, service_ids=[cast.service])
    assert react(db, clock) == 1
    assert runs_of(db, cast, major) == [("big-outage", "incident declared")]
    started = [e for e in incident_events(db, minor) if e.type == "incident.playbook_started"]
    assert len(started) == 1
    assert started[0].actor_label == "playbooks"
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.scalars(select(PlaybookRun).where(PlaybookRun.incident_id == minor)).one()
        assert run.trigger_event_id is not None
        assert [(s.status, s.due_at is not None) for s in run.steps] == [
            ("pending", True), ("pending", False),
        ]  # fmt: skip


def test_repeatable_status_triggers_and_closed_incidents(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    apply(db, cast, CONTAINED)
    clock.advance(timedelta(seconds=1))
    incident = declare(db, cast.ic)
    for status in ("investigating", "contained", "recovering"):
        with db.unit_of_work() as uow:
            do_transition(uow, cast.ic, incident, status)
            uow.commit()
    assert react(db, clock) == 2
    assert runs_of(db, cast, incident) == [
        ("on-contained", "phase entered: recovering"),
        ("on-contained", "status changed to contained"),
    ]
    closed = declare(db, cast.ic)
    for status in ("investigating", "resolved", "in_review", "closed"):
        with db.unit_of_work() as uow:
            do_transition(uow, cast.ic, closed, status)
            uow.commit()
    assert react(db, clock) == 0


def test_only_events_after_the_playbook_and_not_when_disabled(
    db: Database, clock: ManualClock
) -> None:
    cast = build_cast(db)
    early = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    clock.advance(timedelta(seconds=1))
    playbook_id = apply(db, cast, OUTAGE)
    assert react(db, clock) == 0
    assert runs_of(db, cast, early) == []
    with db.unit_of_work() as uow:
        service.do_set_enabled(uow, cast.boss, playbook_id, False)
        uow.commit()
    clock.advance(timedelta(seconds=1))
    declare(db, cast.ic, severity=1, service_ids=[cast.service])
    assert react(db, clock) == 0
    with db.unit_of_work() as uow:
        service.do_set_enabled(uow, cast.boss, playbook_id, True)
        uow.commit()
    assert react(db, clock) == 0  # what happened while disabled is not replayed
    later = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    assert react(db, clock) == 1
    assert runs_of(db, cast, later) == [("big-outage", "incident declared")]


def send(db: Database, integration_id: str, key: str, labels: dict[str, str]) -> str:
    alert = InboundAlert(action="trigger", dedup_key=key, summary=f"alert {key}",
                         severity="critical", source="edge", labels=labels)  # fmt: skip
    with db.unit_of_work() as uow:
        (outcome,) = do_ingest(uow, uow.session.get_one(Integration, integration_id), [alert])
        uow.commit()
        assert outcome.group_id is not None
        return outcome.group_id


def test_alert_matched_on_linked_groups_and_arrivals(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    apply(db, cast, DDOS)
    clock.advance(timedelta(seconds=1))
    integration = make_integration(db, cast.service)
    quiet = send(db, integration, "a", {"attack": "none"})
    first = declare(db, cast.ic, group_ids=[quiet])
    second = declare(db, cast.ic)
    assert react(db, clock) == 0
    loud = send(db, integration, "b", {"attack": "ddos"})
    assert react(db, clock) == 0  # the group is on no incident yet
    with db.unit_of_work() as uow:
        do_link_alert_groups(uow, cast.ic, first, [loud])
        uow.commit()
    assert react(db, clock) == 1
    assert runs_of(db, cast, first) == [("ddos-alert", "alert matched")]
    # An alert arriving on a group already linked to an incident (grouped by label "site").
    with db.unit_of_work() as uow:
        grouping = GroupingIn(mode="labels", labels=["site"])
        do_update_alert_settings(uow, cast.boss, cast.service, AlertSettingsIn(grouping=grouping))
        uow.commit()
    group = send(db, integration, "c", {"site": "fra", "attack": "none"})
    with db.unit_of_work() as uow:
        do_link_alert_groups(uow, cast.ic, second, [group])
        uow.commit()
    assert react(db, clock) == 0
    assert send(db, integration, "d", {"site": "fra", "attack": "ddos"}) == group
    assert react(db, clock) == 1
    assert runs_of(db, cast, second) == [("ddos-alert", "alert matched")]


def test_cancel_a_run(db: Database, clock: ManualClock) -> None:
    cast = build_cast(db)
    apply(db, cast, OUTAGE)
    clock.advance(timedelta(seconds=1))
    incident = declare(db, cast.ic, severity=1, service_ids=[cast.service])
    assert react(db, clock) == 1
    with db.unit_of_work(readonly=True) as uow:
        (run,) = runs_for_incident(uow, cast.ic, incident)
        run_id = run.id
    with db.unit_of_work() as uow:
        cancelled = do_cancel_run(uow, cast.ic, run_id)
        uow.commit()
        assert cancelled.status == "cancelled"
        assert [(s.status, s.due_at) for s in cancelled.steps] == [
            ("cancelled", None), ("cancelled", None),
        ]  # fmt: skip
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_cancel_run(uow, cast.ic, run_id)
    finished = [e for e in incident_events(db, incident) if e.type == "incident.playbook_finished"]
    assert [(e.data["status"], e.data["run_id"]) for e in finished] == [("cancelled", run_id)]
