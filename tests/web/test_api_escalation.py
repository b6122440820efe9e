"""The escalation API: policies (roles, bad input named by field), a service's policy,
and an alert group's escalation with its actions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from escalation_support import World, build_world
from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.escalation.models import EscalationPolicy
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from ui_support import count

URL = "/api/v1/escalation-policies"


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


def body(w: World, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Checkout primary",
        "team_id": w.team,
        "repeat_count": 1,
        "levels": [
            {"delay_minutes": 5, "targets": [{"type": "user", "id": w.alice}]},
            {"delay_minutes": 10, "targets": [{"type": "team", "id": w.team}]},
        ],
        **extra,
    }


def fields(response: Any) -> set[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in response.json()["errors"]}


def create(client: TestClient, manager: Person, w: World, **extra: Any) -> dict[str, Any]:
    r = client.post(URL, json=body(w, **extra), headers=manager.auth)
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def test_managers_create_and_everyone_reads(
    client: TestClient, people: dict[str, Person], world: World
) -> None:
    for role in ("viewer", "responder"):
        assert client.post(URL, json=body(world), headers=people[role].auth).status_code == 403
    r = client.post(URL, json=body(world), headers=people["manager"].auth)
    assert r.status_code == 201
    policy = r.json()
    assert r.headers["location"] == f"{URL}/{policy['id']}"
    assert [lv["level"] for lv in policy["levels"]] == [1, 2]
    assert policy["levels"][0]["targets"] == [{"type": "user", "id": world.alice, "name": "Alice"}]
    assert policy["levels"][1]["targets"][0]["name"] == "Core"
    listed = client.get(URL, headers=people["viewer"].auth).json()
    assert [p["name"] for p in listed["items"]] == ["Checkout primary"]
    r = client.patch(
        f"{URL}/{policy['id']}", json={"ack_timeout_minutes": 30}, headers=people["viewer"].auth
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"levels": [{"delay_minutes": 0, "targets": [{"type": "team", "id": "x"}]}]}, "levels.0.delay_minutes"),
        ({"levels": []}, "levels"),
        ({"levels": [{"delay_minutes": 5, "targets": []}]}, "levels.0.targets"),
        ({"repeat_count": 10}, "repeat_count"),
        ({"levels": [{"delay_minutes": 5, "targets": [{"type": "pager", "id": "x"}]}]}, "levels.0.targets.0.type"),
        ({"team_id": "no-such-team"}, "team_id"),
    ],
)  # fmt: skip
def test_bad_policies_are_refused_by_field(
    client: TestClient, db: Database, people: dict[str, Person], world: World,
    change: dict[str, Any], field: str,
) -> None:  # fmt: skip
    r = client.post(URL, json=body(world, **change), headers=people["manager"].auth)
    assert r.status_code == 422, r.text
    assert field in fields(r)
    assert count(db, EscalationPolicy) == 0


def test_unknown_targets_are_named(
    client: TestClient, db: Database, people: dict[str, Person], world: World
) -> None:
    levels = [
        {"delay_minutes": 5, "targets": [{"type": "user", "id": world.alice}, {"type": "schedule", "id": "nope"}]},
        {"delay_minutes": 5, "targets": [{"type": "user", "id": "ghost"}]},
    ]  # fmt: skip
    r = client.post(URL, json=body(world, levels=levels), headers=people["manager"].auth)
    assert r.status_code == 422
    assert fields(r) == {"levels.0.targets.1.id", "levels.1.targets.0.id"}
    assert count(db, EscalationPolicy) == 0


def test_edit_levels_names_and_archive(
    client: TestClient, people: dict[str, Person], world: World
) -> None:
    auth = people["manager"].auth
    policy = create(client, people["manager"], world, ack_timeout_minutes=20)
    url = f"{URL}/{policy['id']}"
    levels = {"levels": [{"delay_minutes": 15, "targets": [{"type": "user", "id": world.bob}]}]}
    r = client.put(f"{url}/levels", json=levels, headers=auth)
    assert r.status_code == 200
    assert [(lv["delay_minutes"], lv["targets"][0]["name"]) for lv in r.json()["levels"]] == [
        (15, "Bob")
    ]
    r = client.patch(url, json={"ack_timeout_minutes": None, "name": "Renamed"}, headers=auth)
    assert (r.json()["ack_timeout_minutes"], r.json()["name"]) == (None, "Renamed")
    assert client.put(f"{url}/levels", json={"levels": []}, headers=auth).status_code == 422
    assert client.post(URL, json=body(world, name="renamed"), headers=auth).status_code == 409
    paging = f"/api/v1/services/{world.service}/escalation-policy"
    assert (
        client.patch(paging, json={"escalation_policy_id": policy["id"]}, headers=auth).status_code
        == 200
    )
    r = client.post(f"{url}/archive", headers=auth)
    assert r.status_code == 409
    assert "checkout" in r.json()["detail"]
    client.patch(paging, json={"escalation_policy_id": None}, headers=auth)
    r = client.post(f"{url}/archive", headers=auth)
    assert r.status_code == 200
    assert r.json()["archived_at"] is not None


def test_service_policy_and_urgency_rules(
    client: TestClient, people: dict[str, Person], world: World
) -> None:
    auth = people["manager"].auth
    policy = create(client, people["manager"], world)
    paging = f"/api/v1/services/{world.service}/escalation-policy"
    assert (
        client.patch(
            paging, json={"escalation_policy_id": policy["id"]}, headers=people["responder"].auth
        ).status_code
        == 403
    )
    r = client.patch(paging, json={"escalation_policy_id": "nope"}, headers=auth)
    assert r.status_code == 422
    assert fields(r) == {"escalation_policy_id"}
    hours = {"zone": "Europe/Berlin", "days": [0, 1, 2, 3, 4], "start": "18:00", "end": "09:00"}
    r = client.patch(
        paging,
        json={"urgency_rules": {"low_severities": ["info"], "support_hours": hours}},
        headers=auth,
    )
    assert r.status_code == 422
    assert fields(r) == {"urgency_rules.support_hours"}
    rules = {
        "low_severities": ["info", "warning"],
        "support_hours": {**hours, "start": "09:00", "end": "18:00"},
    }
    r = client.patch(
        paging, json={"escalation_policy_id": policy["id"], "urgency_rules": rules}, headers=auth
    )
    assert r.status_code == 200
    shown = client.get(paging, headers=people["viewer"].auth).json()
    assert shown["escalation_policy_name"] == "Checkout primary"
    assert shown["urgency_rules"] == rules
    assert client.get(f"{URL}/{policy['id']}", headers=auth).json()["services"] == [
        {"id": world.service, "name": "checkout"}
    ]  # fmt: skip


def test_group_escalation_state_and_actions(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person], world: World
) -> None:
    auth = people["manager"].auth
    policy = create(client, people["manager"], world, repeat_count=0)
    client.patch(f"/api/v1/services/{world.service}/escalation-policy",
                 json={"escalation_policy_id": policy["id"]}, headers=auth)  # fmt: skip
    door = client.post(f"/api/v1/services/{world.service}/integrations", json={"type": "pagerduty"},
                       headers=auth).json()  # fmt: skip
    r = client.post("/v2/enqueue", json={"routing_key": door["key"], "event_action": "trigger", "dedup_key": "db",
                                         "payload": {"summary": "DB down", "source": "db-1", "severity": "critical"}})  # fmt: skip
    assert r.status_code == 202
    Runner(db, default_modules()).run_until_idle()
    group_id = client.get("/api/v1/alerts", headers=auth).json()["items"][0]["group_id"]
    url = f"/api/v1/alert-groups/{group_id}/escalation"
    state = client.get(url, headers=people["viewer"].auth).json()
    assert (state["status"], state["reached_level"], state["next_level"], state["levels"]) == (
        "active",
        1,
        2,
        2,
    )
    assert state["policy_name"] == "Checkout primary"
    assert client.post(f"{url}/escalate-now", headers=people["viewer"].auth).status_code == 403
    r = client.post(f"{url}/escalate-now", headers=people["responder"].auth)
    assert r.status_code == 200
    assert r.json()["reached_level"] == 2
    r = client.post(f"{url}/snooze", json={"minutes": 0}, headers=people["responder"].auth)
    assert r.status_code == 422
    assert fields(r) == {"minutes"}
    r = client.post(f"{url}/snooze", json={"minutes": 60}, headers=people["responder"].auth)
    assert r.json()["status"] == "snoozed"
    assert r.json()["snoozed_until"] == "2026-01-05T10:00:00Z"
    r = client.post(f"{url}/reassign", json={}, headers=people["responder"].auth)
    assert r.status_code == 422
    r = client.post(f"{url}/reassign", json={"user_id": "ghost"}, headers=people["responder"].auth)
    assert (r.status_code, fields(r)) == (422, {"user_id"})
    r = client.post(
        f"{url}/reassign", json={"user_id": world.carol}, headers=people["responder"].auth
    )
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["policy_name"], r.json()["reached_level"]) == (
        "active",
        "Reassigned to Carol",
        1,
    )
    assert client.get("/api/v1/alert-groups/nope/escalation", headers=auth).status_code == 404
