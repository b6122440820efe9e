"""A duplicate delivery changes nothing but counters - and says so: each intake call logs
its duplicates as one ``alerts.repeated`` event per service (per 100 alerts), naming the
alerts and groups, so live pages showing occurrence counts hear of it, without an event
per duplicate. The hash chain stays whole."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.ingest import REPEATED_PER_EVENT, do_ingest
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Alert, Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.models import Event
from muster.domain.events.verify import verify_chains
from muster.integrations.normalized import Action, InboundAlert
from muster.web.live import LIVE_EVENT_TYPES, read_events


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


def ingest(db: Database, integration_id: str, alerts: list[InboundAlert]) -> list[str]:
    with db.unit_of_work() as uow:
        integration = uow.session.get(Integration, integration_id)
        assert integration is not None
        out = do_ingest(uow, integration, alerts)
        uow.commit()
    return [o.result for o in out]


def alert_events(db: Database) -> list[Event]:
    with db.unit_of_work(readonly=True) as uow:
        query = select(Event).where(Event.stream.startswith("alerts:")).order_by(Event.position)
        return list(uow.session.scalars(query))


def occurrences(db: Database) -> dict[str, int]:
    with db.unit_of_work(readonly=True) as uow:
        return {a.dedup_key: a.occurrences for a in uow.session.scalars(select(Alert))}


def test_duplicates_of_a_call_are_one_event_naming_them(db: Database, integration_id: str) -> None:
    assert ingest(db, integration_id, [alert("a"), alert("b"), alert("c")]) == ["created"] * 3
    opened = alert_events(db)
    ids = {e.data["dedup_key"]: e.data["alert_id"] for e in opened}
    groups = {e.data["dedup_key"]: e.data["group_id"] for e in opened}
    results = ingest(db, integration_id, [alert("a"), alert("b"), alert("a"), alert("d")])
    assert results == ["deduplicated", "deduplicated", "deduplicated", "created"]
    assert occurrences(db) == {"a": 3, "b": 2, "c": 1, "d": 1}
    new = alert_events(db)[len(opened) :]
    assert [e.type for e in new] == ["alert_group.opened", "alerts.repeated"]
    repeated = new[1]
    assert repeated.subject_type == "integration"
    assert repeated.subject_id == integration_id
    assert repeated.data["alert_ids"] == [ids["a"], ids["b"]]
    assert repeated.data["group_ids"] == sorted([groups["a"], groups["b"]])
    assert repeated.data["occurrences"] == 3
    with db.unit_of_work(readonly=True) as uow:
        assert verify_chains(uow).ok
        # Live pages: the list, the service, and each repeated alert and group hear of it.
        [live] = [e for e in read_events(uow, 0, None, 500) if e.type == "alerts.repeated"]
    service_id = repeated.data["service_id"]
    assert {"alerts", f"service:{service_id}", f"alert:{ids['a']}", f"alert:{ids['b']}",
            f"alert_group:{groups['a']}", f"alert_group:{groups['b']}"} <= live.topics  # fmt: skip
    assert f"alert:{ids['c']}" not in live.topics
    assert "alerts.repeated" in LIVE_EVENT_TYPES  # pages listen for it by name


def test_a_call_without_duplicates_logs_no_repeat(db: Database, integration_id: str) -> None:
    ingest(db, integration_id, [alert("a")])
    ingest(db, integration_id, [alert("a", "resolve"), alert("a")])
    assert [e.type for e in alert_events(db)] == [
        "alert_group.opened", "alert.resolved", "alert_group.resolved", "alert_group.opened",
    ]  # fmt: skip


def test_repeats_are_logged_before_a_later_status_change(db: Database, integration_id: str) -> None:
    ingest(db, integration_id, [alert("a"), alert("b")])
    before = len(alert_events(db))
    ingest(db, integration_id, [alert("a"), alert("b", "acknowledge"), alert("a")])
    new = alert_events(db)[before:]
    assert [e.type for e in new] == [
        "alerts.repeated", "alert.acknowledged", "alert_group.acknowledged", "alerts.repeated",
    ]  # fmt: skip
    assert [new[0].data["occurrences"], new[3].data["occurrences"]] == [1, 1]
    with db.unit_of_work(readonly=True) as uow:
        assert verify_chains(uow).ok


def test_many_duplicates_are_split_and_grouped_alerts_name_their_group_once(
    db: Database, integration_id: str
) -> None:
    with db.unit_of_work() as uow:
        integration = uow.session.get(Integration, integration_id)
        assert integration is not None
        do_update_alert_settings(uow, SYSTEM, integration.service_id, AlertSettingsIn.model_validate(
            {"grouping": {"mode": "labels", "labels": ["cluster"], "window_minutes": 10}}))  # fmt: skip
        uow.commit()
    keys = [f"k{n}" for n in range(REPEATED_PER_EVENT + 5)]
    ingest(db, integration_id, [alert(k, cluster="eu") for k in keys])
    before = len(alert_events(db))
    results = ingest(db, integration_id, [alert(k, cluster="eu") for k in keys])
    assert set(results) == {"deduplicated"}
    new = alert_events(db)[before:]
    assert [e.type for e in new] == ["alerts.repeated", "alerts.repeated"]
    assert [len(e.data["alert_ids"]) for e in new] == [REPEATED_PER_EVENT, 5]
    assert [len(e.data["group_ids"]) for e in new] == [1, 1]  # one group holds them all
    assert sum(e.data["occurrences"] for e in new) == len(keys)
    with db.unit_of_work(readonly=True) as uow:
        assert verify_chains(uow).ok
