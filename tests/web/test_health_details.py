"""``GET /health``: anyone (a load balancer) learns the overall state and how many MQTT
subscriptions are connected; only a signed-in caller (session or API token) learns each
integration's name and state."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from helpers import SYSTEM, Person, make_person, sign_in
from muster.db.uow import Database
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.physical.connections import do_report_connection
from physical_support import frigate_integration
from sites_support import Place, build_place

NAMES = ("Frigate north gate", "Frigate loading bay", "Doors vault wing")


@pytest.fixture
def three(db: Database) -> list[str]:
    """Three MQTT integrations, two of them connected, with telling names."""
    place: Place = build_place(db)
    frigate = {"broker_url": "mqtt://127.0.0.1:1883", "site_id": place.hq}
    doors = {"broker_url": "mqtt://127.0.0.1:1883", "site_id": place.hq, "preset": "verkada",
             "topic": "doors/#"}  # fmt: skip
    with db.unit_of_work() as uow:
        ids = [
            do_create_integration(uow, SYSTEM, place.physical, IntegrationCreate(
                type="frigate", name=NAMES[0], config={**frigate, "topic_prefix": "north"})).id,
            do_create_integration(uow, SYSTEM, place.physical, IntegrationCreate(
                type="frigate", name=NAMES[1], config={**frigate, "topic_prefix": "bay"})).id,
            do_create_integration(uow, SYSTEM, place.physical, IntegrationCreate(
                type="access_control_mqtt", name=NAMES[2], config=doors)).id,
        ]  # fmt: skip
        uow.commit()
    with db.unit_of_work() as uow:
        do_report_connection(uow, ids[0], connected=True, node="n1")
        do_report_connection(uow, ids[1], connected=True, node="n1")
        do_report_connection(uow, ids[2], connected=False, node="n1", error="refused", attempts=4)
        uow.commit()
    return ids


def test_anonymous_caller_gets_counts_and_state_only(client: TestClient, three: list[str]) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "mqtt": {"connected": 2, "total": 3}}
    for secret in (*NAMES, *three, "refused"):
        assert secret not in response.text


def test_signed_in_callers_get_each_integration(
    client: TestClient, db: Database, three: list[str]
) -> None:
    viewer: Person = make_person(db, "viewer")
    by_token = client.get("/health", headers=viewer.auth).json()
    assert by_token["status"] == "degraded"
    assert by_token["mqtt"] == {"connected": 2, "total": 3}
    details = {d["integration_id"]: d for d in by_token["mqtt_integrations"]}
    assert [details[i]["name"] for i in three] == list(NAMES)
    assert [details[i]["connected"] for i in three] == [True, True, False]
    assert details[three[2]]["last_error"] == "refused"
    assert details[three[2]]["reconnect_attempts"] == 4

    sign_in(client, viewer.email, viewer.password)
    by_session = client.get("/health").json()
    assert by_session["mqtt_integrations"] == by_token["mqtt_integrations"]


def test_bad_token_is_refused_not_treated_as_anonymous(
    client: TestClient, three: list[str]
) -> None:
    response = client.get("/health", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert "Frigate" not in response.text


def test_all_connected_or_none_configured_is_ok(client: TestClient, db: Database) -> None:
    assert client.get("/health").json() == {"status": "ok", "mqtt": {"connected": 0, "total": 0}}
    place = build_place(db)
    integration_id, _ = frigate_integration(db, place.physical, place.hq)
    assert client.get("/health").json()["status"] == "degraded"  # no report yet: not connected
    with db.unit_of_work() as uow:
        do_report_connection(uow, integration_id, connected=True, node="n1")
        uow.commit()
    assert client.get("/health").json() == {"status": "ok", "mqtt": {"connected": 1, "total": 1}}
