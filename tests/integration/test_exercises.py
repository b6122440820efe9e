"""Exercise tagging and isolation (issue 12): what a drill run creates is marked with the
run, never mixes with real work, stays out of metrics, the status page and compliance,
is marked EXERCISE in messages and exports, and is removed by one cleanup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from compliance_support import apply, clock_of, compliance, fact, submit
from helpers import SYSTEM
from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.models import Alert, AlertGroup, Integration
from muster.domain.alerts.routing import Condition, Rule, RuleActions
from muster.domain.catalog.models import Service
from muster.domain.compliance.clock_views import clock_counts, list_clocks
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.exercises.cleanup import do_cleanup_exercise
from muster.domain.exercises.marking import mark_outgoing, message_run
from muster.domain.exercises.setup import exercise_integration, exercise_service
from muster.domain.incidents.exports import CSV_COLUMNS, export_rows
from muster.domain.incidents.links import do_link_alert_groups, incident_of_group
from muster.domain.incidents.merge import check_merge
from muster.domain.incidents.models import Incident, Task
from muster.domain.incidents.status_page import status_snapshot
from muster.domain.incidents.task_schemas import TaskIn
from muster.domain.incidents.tasks import do_create_task
from muster.domain.notify.jobs import Outgoing
from muster.domain.notify.models import OutboxMessage
from muster.domain.notify.outbox import idempotency_key, insert_rows, row_values
from muster.domain.reviews.aggregates import MetricsFilter, aggregate
from muster.domain.reviews.alert_noise import NoiseFilter, alert_noise
from muster.errors import Conflict, InvalidInput, PermissionDenied
from muster.integrations.normalized import InboundAlert

RUN = "0190aaaa-bbbb-7ccc-8ddd-eeeeeeee0001"
ENGINE = Actor.system(Via.ENGINE, label="drill")


def _alert(summary: str, key: str) -> InboundAlert:
    return InboundAlert(action="trigger", dedup_key=key, summary=summary, severity="critical",
                        source="drill")  # fmt: skip


def _setup(db: Database, cast: Cast, run: str = RUN) -> tuple[str, str]:
    """An exercise service paging the ic and resp, with an alertmanager integration."""
    with db.unit_of_work() as uow:
        service = exercise_service(uow, ENGINE, run, team_id=cast.team, title="Ransomware",
                                   participant_ids=[cast.ic.id or "", cast.resp.id or ""])  # fmt: skip
        integration = exercise_integration(uow, ENGINE, service, "alertmanager")
        uow.commit()
        return service.id, integration.id


def _ingest(
    db: Database, integration_id: str, summary: str, rules: list[Rule] | None = None
) -> str:
    with db.unit_of_work() as uow:
        integration = uow.session.get_one(Integration, integration_id)
        [outcome] = do_ingest(uow, integration, [_alert(summary, summary)], rules=rules or [])
        uow.commit()
        assert outcome.group_id is not None
        return outcome.group_id


def _real_integration(db: Database, service_id: str) -> str:
    from muster.domain.alerts.integrations import do_create_integration
    from muster.domain.alerts.schemas import IntegrationCreate

    with db.unit_of_work() as uow:
        made = do_create_integration(
            uow, SYSTEM, service_id, IntegrationCreate(type="alertmanager")
        )
        uow.commit()
        return made.id


def test_setup_marks_service_integration_and_pages_only_participants(db: Database) -> None:
    cast = build_cast(db)
    service_id, integration_id = _setup(db, cast)
    with db.unit_of_work(readonly=True) as uow:
        service = uow.session.get_one(Service, service_id)
        assert service.exercise_run_id == RUN
        assert service.name.startswith("[EXERCISE ")
        assert uow.session.get_one(Integration, integration_id).exercise_run_id == RUN
        policy = uow.session.get_one(EscalationPolicy, service.escalation_policy_id)
        targets = {t["id"] for level in policy.levels for t in level.targets}
        assert targets == {cast.ic.id, cast.resp.id}
        kinds = uow.session.scalars(select(Event.type).where(Event.subject_id == service_id))
        assert "exercise.service_created" in list(kinds)


def test_setup_refuses_bad_input(db: Database) -> None:
    cast = build_cast(db)
    with db.unit_of_work() as uow:
        with pytest.raises(InvalidInput):
            exercise_service(uow, ENGINE, "x" * 37, team_id=cast.team, title="t")
        real = uow.session.get_one(Service, cast.service)
        with pytest.raises(InvalidInput) as caught:
            exercise_integration(uow, ENGINE, real, "alertmanager")
        assert caught.value.errors[0].field == "service_id"
    service_id, _ = _setup(db, cast)
    with db.unit_of_work() as uow:
        service = uow.session.get_one(Service, service_id)
        with pytest.raises(InvalidInput) as caught:
            exercise_integration(uow, ENGINE, service, "no-such-format")
        assert caught.value.errors[0].field == "type"
        with pytest.raises(PermissionDenied):
            exercise_service(uow, cast.resp, "run-2", team_id=cast.team, title="t")


def test_alerts_through_an_exercise_integration_are_exercise_and_stay_there(db: Database) -> None:
    cast = build_cast(db)
    _, integration_id = _setup(db, cast)
    real_integration = _real_integration(db, cast.service)
    to_real = Rule("r1", "to checkout", "any", [Condition("source", "equals", "drill")],
                   RuleActions(route_to_service_id=cast.service))  # fmt: skip
    group = _ingest(db, integration_id, "Files encrypted on fs01", [to_real])
    real_group = _ingest(db, real_integration, "Disk full", [])
    with db.unit_of_work(readonly=True) as uow:
        alert = uow.session.scalars(select(Alert).where(Alert.group_id == group)).one()
        assert alert.exercise_run_id == RUN
        assert alert.service_id != cast.service  # the rule never moved it to the real service
        real = uow.session.scalars(select(Alert).where(Alert.group_id == real_group)).one()
        assert real.exercise_run_id is None


def test_incidents_take_the_mark_and_never_mix(db: Database) -> None:
    cast = build_cast(db)
    service_id, integration_id = _setup(db, cast)
    group = _ingest(db, integration_id, "Files encrypted on fs01")
    drill = declare(db, cast.ic, type="security", severity=1, group_ids=[group])
    on_service = declare(db, cast.ic, service_ids=[service_id])
    real = declare(db, cast.ic, service_ids=[cast.service])
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(Incident, drill).exercise_run_id == RUN
        assert uow.session.get_one(Incident, on_service).exercise_run_id == RUN
        assert uow.session.get_one(Incident, real).exercise_run_id is None
    with pytest.raises(Conflict) as caught:
        declare(db, cast.ic, service_ids=[cast.service, service_id])
    assert caught.value.errors[0].field == "service_ids.1"
    second = _ingest(db, integration_id, "Ransom note found")
    with db.unit_of_work() as uow, pytest.raises(Conflict):
        do_link_alert_groups(uow, cast.ic, real, [second])
    with db.unit_of_work(readonly=True) as uow:
        a, b = uow.session.get_one(Incident, drill), uow.session.get_one(Incident, real)
        with pytest.raises(Conflict):
            check_merge(a, b)
    with db.unit_of_work(readonly=True) as uow:  # the refused link changed nothing
        assert incident_of_group(uow, second) is None


def test_exercises_stay_out_of_metrics_noise_and_status_page(
    db: Database, clock: ManualClock
) -> None:
    cast = build_cast(db)
    service_id, integration_id = _setup(db, cast)
    start = clock.now() - timedelta(days=1)
    group = _ingest(db, integration_id, "Files encrypted")
    _ingest(db, _real_integration(db, cast.service), "Disk full")
    declare(db, cast.ic, service_ids=[cast.service], customer_facing=True)
    declare(db, cast.ic, group_ids=[group], customer_facing=True)
    with db.unit_of_work() as uow:  # even made public, an exercise service never shows
        uow.session.get_one(Service, service_id).public = True
        uow.session.get_one(Service, cast.service).public = True
        uow.commit()
    clock.advance(timedelta(minutes=5))
    with db.unit_of_work(readonly=True) as uow:
        assert aggregate(uow, cast.admin, MetricsFilter()).count == 1
        noise = alert_noise(uow, NoiseFilter(start=start, end=clock.now() + timedelta(days=1)))
        assert noise.summary.total == 1
        snapshot = status_snapshot(uow)
        assert [c.id for c in snapshot.components] == [cast.service]
        assert len(snapshot.incidents) == 1


def test_compliance_lists_leave_exercises_out_and_submissions_are_refused(
    db: Database, clock: ManualClock
) -> None:
    cast = build_cast(db)
    service_id, _ = _setup(db, cast)
    drill = declare(db, cast.ic, service_ids=[service_id])
    real = declare(db, cast.ic, service_ids=[cast.service])
    for incident in (drill, real):
        apply(db, cast.ic, incident, "gdpr-33")
        fact(db, cast.ic, incident, "aware_at", at=clock.now())
    gdpr = clock_of(db, cast.ic, drill, "gdpr-33/authority")
    with pytest.raises(Conflict) as caught:
        submit(db, cast.ic, drill, gdpr.id)
    assert "exercise" in caught.value.detail
    with db.unit_of_work(readonly=True) as uow:
        items, _ = list_clocks(uow, cast.admin)
        assert {i.incident_id for i in items} == {real}
        counted = sum(sum(c.values()) for _, _, c in clock_counts(uow, cast.admin))
        real_clocks = len(compliance(db, cast.ic, real).clocks)
        assert counted == real_clocks  # the drill's clocks are not counted


def test_messages_and_exports_are_marked(db: Database) -> None:
    cast = build_cast(db)
    service_id, integration_id = _setup(db, cast)
    drill = declare(db, cast.ic, service_ids=[service_id])
    real = declare(db, cast.ic, service_ids=[cast.service])
    group = _ingest(db, integration_id, "Files encrypted")
    with db.unit_of_work() as uow:
        rows = [
            row_values(uow, purpose="incident", key=idempotency_key("t", i), method_type="email",
                       address="a@example.com", due=uow.now, step="email",
                       payload={"subject": "s", "text": "t", "incident_id": i})
            for i in (drill, real)
        ] + [row_values(uow, purpose="page", key=idempotency_key("p"), method_type="sms",
                        address="+100", due=uow.now, step="sms", group_id=group)]  # fmt: skip
        insert_rows(uow, rows)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        by_key = {
            (r.payload or {}).get("incident_id") or r.group_id: r
            for r in uow.session.scalars(select(OutboxMessage))
        }
        assert message_run(uow, [by_key[drill]]) == RUN
        assert message_run(uow, [by_key[group]]) == RUN
        assert message_run(uow, [by_key[real]]) is None
        incidents = [uow.session.get_one(Incident, i) for i in (drill, real)]
        exported = {r.id: r for r in export_rows(uow, incidents)}
    assert CSV_COLUMNS[-1] == "exercise"
    assert exported[drill].cells()[-1] == "true"
    assert exported[real].cells()[-1] == "false"
    message = Outgoing(method_type="email", address="a@example.com", subject="[SEV1] INC-1",
                       text="Open it", html="<p>Open it</p>", short="INC-1", voice="Incident",
                       data={}, idempotency_key="k")  # fmt: skip
    marked = mark_outgoing(message, RUN)
    assert marked.subject == "[EXERCISE] [SEV1] INC-1"
    assert marked.text.startswith("EXERCISE")
    assert "EXERCISE" in (marked.html or "")
    assert marked.short.startswith("[EXERCISE]")
    assert marked.voice.startswith("This is an exercise")
    assert marked.data["exercise"] is True
    assert mark_outgoing(message, None) == message


def test_cleanup_removes_the_run_and_nothing_real(db: Database) -> None:
    cast = build_cast(db)
    service_id, integration_id = _setup(db, cast)
    other_service, _ = _setup(db, cast, run="other-run")
    group = _ingest(db, integration_id, "Files encrypted")
    _ingest(db, integration_id, "Ransom note")
    drill = declare(db, cast.ic, group_ids=[group])
    real = declare(db, cast.ic, service_ids=[cast.service])
    real_group = _ingest(db, _real_integration(db, cast.service), "Disk full")
    with db.unit_of_work() as uow:
        for incident in (drill, real):
            do_create_task(uow, cast.ic, incident, TaskIn(title="Isolate fs01"))
        insert_rows(uow, [row_values(uow, purpose="page", key=idempotency_key("p"),
                                     method_type="sms", address="+100", due=uow.now,
                                     step="sms", group_id=group)])  # fmt: skip
        uow.commit()
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_cleanup_exercise(uow, cast.resp, RUN)
    with db.unit_of_work() as uow:
        counts = do_cleanup_exercise(uow, cast.boss, RUN)
        uow.commit()
    assert counts["incidents"] == 1
    assert counts["alerts"] == 2
    assert counts["alert_groups"] == 2
    assert counts["services"] == 1
    assert counts["integrations"] == 1
    assert counts["escalation_policies"] == 1
    assert counts["notifications"] >= 1
    with db.unit_of_work(readonly=True) as uow:
        s = uow.session
        assert s.get(Incident, drill) is None
        assert s.get(Service, service_id) is None
        assert s.get(Incident, real) is not None
        assert s.get(AlertGroup, real_group) is not None
        assert s.get(Service, other_service) is not None  # another run is left alone
        assert (
            s.scalar(select(func.count()).select_from(Task).where(Task.incident_id == drill)) == 0
        )
        assert s.scalar(select(func.count()).select_from(Task).where(Task.incident_id == real)) == 1
        assert (
            s.scalar(select(func.count()).select_from(Alert).where(Alert.exercise_run_id == RUN))
            == 0
        )
        event = s.scalars(select(Event).where(Event.type == "exercise.cleaned_up")).one()
        assert event.subject_id == RUN
        assert event.data["removed"] == counts
    with db.unit_of_work() as uow:  # again: nothing more to remove
        again = do_cleanup_exercise(uow, cast.boss, RUN)
        uow.commit()
    assert set(again.values()) == {0}
