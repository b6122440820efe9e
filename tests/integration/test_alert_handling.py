"""Routing rules, suppression, maintenance, grouping and flapping, at the domain level."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.ingest import Outcome, do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.maintenance import do_cancel_maintenance, do_create_maintenance
from muster.domain.alerts.models import Alert, AlertGroup, Integration
from muster.domain.alerts.rules import do_create_rule
from muster.domain.alerts.schemas import IntegrationCreate, MaintenanceIn, RuleIn
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.models import Event
from muster.integrations.normalized import InboundAlert


@pytest.fixture
def setup(db: Database) -> dict[str, Any]:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        api = do_create_service(uow, SYSTEM, ServiceCreate(name="api", team_id=team.id))
        dbs = do_create_service(uow, SYSTEM, ServiceCreate(name="databases", team_id=team.id))
        integ = do_create_integration(uow, SYSTEM, api.id, IntegrationCreate(type="pagerduty"))
        uow.commit()
        return {"api": api.id, "db": dbs.id, "integration": integ.id}


def send(db: Database, integration_id: str, *alerts: InboundAlert) -> list[Outcome]:
    with db.unit_of_work() as uow:
        integration = uow.session.get(Integration, integration_id)
        assert integration is not None
        outcomes = do_ingest(uow, integration, alerts)
        uow.commit()
        return outcomes


def trig(
    key: str, summary: str = "CPU high", severity: str = "warning", **labels: str
) -> InboundAlert:
    return InboundAlert(action="trigger", dedup_key=key, summary=summary, severity=severity,  # type: ignore[arg-type]
                        source="host-1", labels=labels)  # fmt: skip


def resolve(key: str) -> InboundAlert:
    return InboundAlert(action="resolve", dedup_key=key, summary="", severity="info", source="")


def rule(db: Database, **spec: Any) -> None:
    with db.unit_of_work() as uow:
        do_create_rule(uow, SYSTEM, RuleIn.model_validate(spec))
        uow.commit()


def rows(db: Database) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).order_by(Alert.first_seen, Alert.id)))


def groups(db: Database) -> list[AlertGroup]:
    with db.unit_of_work(readonly=True) as uow:
        return list(
            uow.session.scalars(select(AlertGroup).order_by(AlertGroup.first_seen, AlertGroup.id))
        )


def test_rule_routes_sets_severity_and_labels(db: Database, setup: dict[str, Any]) -> None:
    rule(db, name="db alerts", conditions=[{"field": "labels.component", "op": "equals", "value": "postgres"}],
         actions={"route_to_service_id": setup["db"], "set_severity": "critical", "add_labels": {"team": "dba"}})  # fmt: skip
    send(db, setup["integration"], trig("a", component="postgres"), trig("b", component="web"))
    a, b = rows(db)
    assert (a.service_id, a.severity, a.labels["team"]) == (setup["db"], "critical", "dba")
    assert (b.service_id, b.severity, "team" in b.labels) == (setup["api"], "warning", False)


def test_first_matching_rule_wins_in_order(db: Database, setup: dict[str, Any]) -> None:
    rule(db, name="second", position=20, conditions=[{"field": "summary", "op": "contains", "value": "cpu"}],
         actions={"set_severity": "info"})  # fmt: skip
    rule(db, name="first", position=10, conditions=[{"field": "summary", "op": "regex", "value": "^CPU"}],
         actions={"set_severity": "error"})  # fmt: skip
    send(db, setup["integration"], trig("a"))
    assert rows(db)[0].severity == "error"


def test_suppress_stores_and_pages_nobody_and_drop_only_counts(
    db: Database, setup: dict[str, Any]
) -> None:
    rule(db, name="noise", conditions=[{"field": "source", "op": "equals", "value": "host-1"},
                                       {"field": "severity", "op": "severity_at_least", "value": "error"}],
         match="any", actions={"suppress": True})  # fmt: skip
    rule(
        db,
        name="junk",
        conditions=[{"field": "summary", "op": "contains", "value": "test"}],
        actions={"drop": True},
    )
    out = send(db, setup["integration"], trig("a"))
    assert out[0].result == "suppressed"
    assert out[0].pages is False
    assert rows(db)[0].suppressed_reason == "rule: noise"
    assert groups(db)[0].pages is False


def test_drop_stores_nothing(db: Database, setup: dict[str, Any]) -> None:
    rule(
        db,
        name="junk",
        conditions=[{"field": "summary", "op": "contains", "value": "test"}],
        actions={"drop": True},
    )
    out = send(db, setup["integration"], trig("a", summary="a TEST alert"))
    assert out[0].result == "dropped"
    assert rows(db) == []


def test_maintenance_window_suppresses_inside_only(
    db: Database, setup: dict[str, Any], clock: ManualClock
) -> None:
    now = clock.now()
    with db.unit_of_work() as uow:
        window = do_create_maintenance(uow, SYSTEM, setup["api"], MaintenanceIn(
            starts_at=now + timedelta(minutes=10), ends_at=now + timedelta(minutes=70), reason="db upgrade"))  # fmt: skip
        uow.commit()
    assert send(db, setup["integration"], trig("before"))[0].result == "created"
    clock.advance(minutes=15)
    out = send(db, setup["integration"], trig("inside"))
    assert out[0].result == "suppressed"
    assert rows(db)[1].suppressed_reason == "maintenance: db upgrade"
    with db.unit_of_work() as uow:
        do_cancel_maintenance(uow, SYSTEM, window.id)
        uow.commit()
    assert send(db, setup["integration"], trig("after-cancel"))[0].result == "created"


def test_grouping_by_labels_within_window(
    db: Database, setup: dict[str, Any], clock: ManualClock
) -> None:
    with db.unit_of_work() as uow:
        do_update_alert_settings(uow, SYSTEM, setup["api"], AlertSettingsIn.model_validate(
            {"grouping": {"mode": "labels", "labels": ["cluster"], "window_minutes": 10}}))  # fmt: skip
        uow.commit()
    out1 = send(
        db,
        setup["integration"],
        trig("a", cluster="eu"),
        trig("b", cluster="eu"),
        trig("c", cluster="us"),
    )
    assert [o.pages for o in out1] == [True, False, True]
    assert out1[0].group_id == out1[1].group_id != out1[2].group_id
    clock.advance(minutes=11)
    out2 = send(db, setup["integration"], trig("d", cluster="eu"))
    assert out2[0].group_id != out1[0].group_id, "outside the window a new group opens"
    eu = next(g for g in groups(db) if g.id == out1[0].group_id)
    assert eu.alert_count == 2


def test_without_grouping_each_alert_is_its_own_group(db: Database, setup: dict[str, Any]) -> None:
    out = send(db, setup["integration"], trig("a", cluster="eu"), trig("b", cluster="eu"))
    assert out[0].group_id != out[1].group_id
    assert all(o.pages for o in out)


def test_dedup_pages_nobody_again(db: Database, setup: dict[str, Any]) -> None:
    out = send(db, setup["integration"], trig("a"), trig("a"), trig("a"))
    assert [o.result for o in out] == ["created", "deduplicated", "deduplicated"]
    assert [o.pages for o in out] == [True, False, False]
    assert rows(db)[0].occurrences == 3
    with db.unit_of_work(readonly=True) as uow:
        opened = uow.session.scalars(select(Event).where(Event.type == "alert_group.opened")).all()
        assert len(opened) == 1


def test_flapping_is_marked_and_pages_once(
    db: Database, setup: dict[str, Any], clock: ManualClock
) -> None:
    with db.unit_of_work() as uow:
        do_update_alert_settings(uow, SYSTEM, setup["api"],
                                 AlertSettingsIn(flap_threshold=3, flap_window_minutes=10))  # fmt: skip
        uow.commit()
    pages = []
    for _ in range(6):
        pages.append(send(db, setup["integration"], trig("flappy"))[0].pages)
        clock.advance(minutes=1)
        send(db, setup["integration"], resolve("flappy"))
    # three normal pages, the fourth marks flapping and pages once, then silence
    assert pages == [True, True, True, True, False, False]
    assert [a.flapping for a in rows(db)] == [False, False, False, True, True, True]
    clock.advance(minutes=30)
    assert send(db, setup["integration"], trig("flappy"))[0].pages is True, (
        "calm again after the window"
    )


def test_bad_rules_are_refused(db: Database, setup: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from muster.errors import InvalidInput

    for spec in (
        {
            "name": "x",
            "conditions": [{"field": "nope", "op": "equals", "value": "1"}],
            "actions": {},
        },
        {
            "name": "x",
            "conditions": [{"field": "summary", "op": "regex", "value": "("}],
            "actions": {},
        },
        {"name": "x", "conditions": [], "actions": {}},
        {
            "name": "x",
            "conditions": [{"field": "summary", "op": "exists"}],
            "actions": {"drop": True, "suppress": True},
        },
    ):
        with pytest.raises(ValidationError):
            RuleIn.model_validate(spec)
    with pytest.raises(InvalidInput):
        rule(db, name="x", conditions=[{"field": "summary", "op": "exists"}],
             actions={"route_to_service_id": "missing"})  # fmt: skip
