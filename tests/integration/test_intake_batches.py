"""Intake in bulk: many alerts (and many requests) in one transaction decide exactly as
one at a time would, and what intake holds in memory is written before anyone reads."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.ingest import do_ingest, prepare_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Alert, AlertGroup, Integration
from muster.domain.alerts.rules import load_rules
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.models import Event
from muster.domain.events.verify import verify_chains
from muster.integrations.normalized import Action, InboundAlert


@pytest.fixture
def integration_id(db: Database) -> str:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        api = do_create_service(uow, SYSTEM, ServiceCreate(name="api", team_id=team.id))
        integ = do_create_integration(uow, SYSTEM, api.id, IntegrationCreate(type="pagerduty"))
        uow.commit()
        return integ.id


def alert(key: str, action: Action = "trigger", **labels: str) -> InboundAlert:
    return InboundAlert(action=action, dedup_key=key, summary=f"{key} failing", severity="error",
                        source="host-1", labels=labels)  # fmt: skip


def statuses(db: Database) -> list[tuple[str, str, int]]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(Alert).order_by(Alert.first_seen, Alert.id))
        return [(a.dedup_key, a.status, a.occurrences) for a in rows]


def test_trigger_resolve_trigger_in_one_call(db: Database, integration_id: str) -> None:
    with db.unit_of_work() as uow:
        integration = uow.session.get(Integration, integration_id)
        assert integration is not None
        out = do_ingest(uow, integration, [alert("a"), alert("a"), alert("a", "resolve"),
                                           alert("a"), alert("a", "acknowledge"), alert("a")])  # fmt: skip
        uow.commit()
    assert [o.result for o in out] == [
        "created", "deduplicated", "resolved", "created", "acknowledged", "deduplicated",
    ]  # fmt: skip
    assert out[0].alert_id != out[3].alert_id
    assert out[0].group_id != out[3].group_id
    assert sorted(statuses(db)) == [("a", "acknowledged", 2), ("a", "resolved", 2)]
    with db.unit_of_work(readonly=True) as uow:
        groups = {g.id: g.status for g in uow.session.scalars(select(AlertGroup))}
        assert groups == {out[0].group_id: "resolved", out[3].group_id: "acknowledged"}
        assert verify_chains(uow).ok


def test_an_acknowledged_group_reopens_when_a_new_alert_joins_in_the_same_call(
    db: Database, integration_id: str
) -> None:
    with db.unit_of_work() as uow:
        integration = uow.session.get(Integration, integration_id)
        assert integration is not None
        do_update_alert_settings(uow, SYSTEM, integration.service_id, AlertSettingsIn.model_validate(
            {"grouping": {"mode": "labels", "labels": ["cluster"], "window_minutes": 10}}))  # fmt: skip
        out = do_ingest(uow, integration, [alert("a", cluster="eu"), alert("a", "acknowledge"),
                                           alert("b", cluster="eu"), alert("b", "acknowledge")])  # fmt: skip
        uow.commit()
    assert [o.result for o in out] == ["created", "acknowledged", "created", "acknowledged"]
    assert out[0].group_id == out[2].group_id
    with db.unit_of_work(readonly=True) as uow:
        group = uow.session.get(AlertGroup, out[0].group_id)
        assert group is not None
        assert (group.status, group.alert_count) == ("acknowledged", 2)
        kinds = [e.type for e in uow.session.scalars(select(Event).order_by(Event.position))
                 if e.stream.startswith("alerts:")]  # fmt: skip
    assert kinds == ["alert_group.opened", "alert.acknowledged", "alert_group.acknowledged",
                     "alert.triggered", "alert.acknowledged", "alert_group.acknowledged"]  # fmt: skip


def test_requests_sharing_a_transaction_see_each_other(db: Database, integration_id: str) -> None:
    """As the ingest writer runs them: looked up together, applied one after the other."""
    requests = [[alert("x"), alert("y")], [alert("x")], [alert("y", "resolve"), alert("y")]]
    with db.unit_of_work() as uow:
        integration = uow.session.get(Integration, integration_id)
        assert integration is not None
        rules = load_rules(uow)
        prepare_ingest(uow, [(integration, r) for r in requests], rules)
        results = [
            [o.result for o in do_ingest(uow, integration, r, rules=rules)] for r in requests
        ]
        uow.commit()
    assert results == [["created", "created"], ["deduplicated"], ["resolved", "created"]]
    assert sorted(statuses(db)) == [("x", "triggered", 2), ("y", "resolved", 1),
                                    ("y", "triggered", 1)]  # fmt: skip


def test_held_rows_are_written_before_a_query_and_dropped_on_rollback(
    db: Database, integration_id: str
) -> None:
    with db.unit_of_work() as uow:
        integration = uow.session.get(Integration, integration_id)
        assert integration is not None
        out = do_ingest(uow, integration, [alert("q")])
        seen: Any = uow.session.scalars(select(Alert.id)).all()
        assert seen == [out[0].alert_id]
        assert uow.session.scalars(select(Event.type).where(Event.subject_id == out[0].group_id)).all() == [
            "alert_group.opened"
        ]  # fmt: skip
        # no commit: everything goes
    assert statuses(db) == []
    with db.unit_of_work(readonly=True) as uow:
        assert (
            uow.session.scalars(select(Event).where(Event.stream.startswith("alerts:"))).all() == []
        )
