"""PagerDuty's own Python client (the ``pagerduty`` package) against a live Muster.

The client accepts only ``https://`` base URLs, so the server runs under uvicorn with TLS,
using a certificate from a throw-away test CA (``trustme``) that the client trusts.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pagerduty
import pytest
import trustme
import uvicorn
from sqlalchemy import select

from helpers import SYSTEM
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Alert
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.models import Event
from muster.web.app import create_app
from muster.web.context import AppContext


@pytest.fixture(scope="module")
def test_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def live_url(
    settings: Settings, db: Database, clock: ManualClock, tmp_path: Path, test_ca: trustme.CA
) -> Iterator[str]:
    """The whole app under uvicorn with TLS, on a free port of 127.0.0.1."""
    pem = tmp_path / "server.pem"
    test_ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    app = create_app(AppContext(settings=settings, db=db, clock=clock))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, ssl_certfile=str(pem))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def service(db: Database) -> dict[str, str]:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        svc = do_create_service(uow, SYSTEM, ServiceCreate(name="payments", team_id=team.id))
        integ = do_create_integration(uow, SYSTEM, svc.id, IntegrationCreate(type="pagerduty"))
        uow.commit()
        return {"id": svc.id, "key": integ.key, "integration_id": integ.id}


@pytest.fixture
def events_client(
    live_url: str, service: dict[str, str], test_ca: trustme.CA
) -> Iterator[pagerduty.EventsApiV2Client]:
    trust = ssl.create_default_context()
    test_ca.configure_trust(trust)
    client = pagerduty.EventsApiV2Client(service["key"], base_url=live_url, verify=trust)
    client.max_network_attempts = 0  # fail at once rather than sleep through retries
    try:
        yield client
    finally:
        client.close()


def alerts(db: Database) -> list[Alert]:
    with db.unit_of_work(readonly=True) as uow:
        return list(uow.session.scalars(select(Alert).order_by(Alert.first_seen, Alert.id)))


def test_trigger_acknowledge_resolve_with_a_dedup_key(
    events_client: pagerduty.EventsApiV2Client,
    db: Database,
    service: dict[str, str],
    clock: ManualClock,
) -> None:
    key = events_client.trigger(
        "Card payments failing", "pay-gw-1", dedup_key="pay-gw-1/errors", severity="error",
        custom_details={"error_rate": 0.31}, links=[{"href": "https://runbooks.example/pay", "text": "Runbook"}],
    )  # fmt: skip
    assert key == "pay-gw-1/errors"
    [alert] = alerts(db)
    assert (alert.summary, alert.source, alert.severity) == (
        "Card payments failing",
        "pay-gw-1",
        "error",
    )
    assert alert.custom_details == {"error_rate": 0.31}
    assert alert.links == [{"href": "https://runbooks.example/pay", "text": "Runbook"}]
    assert alert.integration_id == service["integration_id"]
    assert events_client.trigger("Card payments failing", "pay-gw-1", dedup_key=key) == key
    assert alerts(db)[0].occurrences == 2

    clock.advance(seconds=30)
    assert events_client.acknowledge(key) == key
    assert alerts(db)[0].status == "acknowledged"
    clock.advance(seconds=30)
    assert events_client.resolve(key) == key
    [resolved] = alerts(db)
    assert resolved.status == "resolved"
    assert resolved.resolved_at == clock.now()
    # After a resolve the same key opens a new alert.
    clock.advance(seconds=30)
    events_client.trigger("Card payments failing again", "pay-gw-1", dedup_key=key)
    assert [a.status for a in alerts(db)] == ["resolved", "triggered"]


def test_trigger_without_a_dedup_key_gets_one(
    events_client: pagerduty.EventsApiV2Client, db: Database
) -> None:
    first = events_client.trigger("Queue backlog", "worker-3", severity="warning")
    second = events_client.trigger("Queue backlog", "worker-3", severity="warning")
    assert first != second
    assert len(first) >= 16
    assert {a.dedup_key for a in alerts(db)} == {first, second}
    events_client.resolve(first)
    assert {a.dedup_key: a.status for a in alerts(db)} == {first: "resolved", second: "triggered"}


def test_acknowledge_or_resolve_of_an_unknown_key_changes_nothing(
    events_client: pagerduty.EventsApiV2Client, db: Database
) -> None:
    assert events_client.acknowledge("never-seen") == "never-seen"
    assert events_client.resolve("never-seen") == "never-seen"
    assert alerts(db) == []


def test_change_events_land_on_the_timeline_and_never_page(
    events_client: pagerduty.EventsApiV2Client, db: Database, service: dict[str, str]
) -> None:
    # submit() without a timestamp trips over a bug in pagerduty 7.2.0's event_timestamp
    # (datetime.timezone on the datetime class), so the tests pass one.
    events_client.submit(
        "Deployed payments v2.3", source="ci", custom_details={"commit": "abc123"},
        links=[{"href": "https://ci.example/run/9", "text": "CI run"}],
        timestamp="2026-01-05T08:55:00Z",
    )  # fmt: skip
    events_client.send_change_event(
        payload={"summary": "Feature flag on", "timestamp": "2026-01-05T08:56:00+00:00"}
    )
    with db.unit_of_work(readonly=True) as uow:
        changes: list[dict[str, Any]] = [
            e.data for e in uow.session.scalars(
                select(Event).where(Event.type == "service.change").order_by(Event.position)
            )
        ]  # fmt: skip
    assert [c["summary"] for c in changes] == ["Deployed payments v2.3", "Feature flag on"]
    assert changes[0]["source"] == "ci"
    assert changes[0]["custom_details"] == {"commit": "abc123"}
    assert changes[0]["links"] == [{"href": "https://ci.example/run/9", "text": "CI run"}]
    assert changes[0]["timestamp"].startswith("2026-01-05T08:55:00")
    assert {c["integration_id"] for c in changes} == {service["integration_id"]}
    assert alerts(db) == []


def test_refusals_reach_the_client_as_http_errors(
    live_url: str, events_client: pagerduty.EventsApiV2Client, test_ca: trustme.CA, db: Database
) -> None:
    with pytest.raises(pagerduty.HttpError) as bad:
        events_client.trigger("x", "y", severity="catastrophic")
    assert bad.value.response.status_code == 400
    assert bad.value.response.json()["status"] == "invalid event"
    trust = ssl.create_default_context()
    test_ca.configure_trust(trust)
    stranger = pagerduty.EventsApiV2Client("0" * 32, base_url=live_url, verify=trust)
    with stranger, pytest.raises(pagerduty.HttpError) as unknown:
        stranger.trigger("x", "y")
    assert unknown.value.response.status_code == 404
    assert alerts(db) == []
