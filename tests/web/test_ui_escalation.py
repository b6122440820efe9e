"""The escalation policy pages: empty state, levels from form rows, errors on the right
row, and assigning a policy to services."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from escalation_support import World, build_world
from helpers import Person
from muster.db.uow import Database
from muster.domain.catalog.models import Service
from muster.domain.escalation.models import EscalationPolicy
from ui_support import as_person, count, field_has_error, id_from_location

BASE = "/escalation-policies"


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


def test_empty_state(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["manager"])
    r = client.get(BASE)
    assert r.status_code == 200
    assert "No escalation policies yet" in r.text
    assert f'href="{BASE}/new"' in r.text
    as_person(client, people["viewer"])
    assert "Ask a manager" in client.get(BASE).text
    assert client.get(f"{BASE}/new").status_code == 403


def test_create_edit_and_assign(
    client: TestClient, db: Database, people: dict[str, Person], world: World
) -> None:
    csrf = as_person(client, people["manager"])
    form = client.get(f"{BASE}/new").text
    assert f'value="user:{world.alice}"' in form
    assert f'value="team:{world.team}"' in form
    r = client.post(f"{BASE}/new", data={
        "csrf_token": csrf, "name": "Checkout", "team_id": world.team, "repeat_count": "2",
        "ack_timeout_minutes": "", "description": "",
        "levels.0.targets": [f"user:{world.alice}", f"user:{world.bob}"], "levels.0.delay_minutes": "10",
        "levels.1.targets": [], "levels.1.delay_minutes": "5",
        "levels.2.targets": [f"team:{world.team}"], "levels.2.delay_minutes": "15",
    }, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    policy_id = id_from_location(r.headers["location"], f"{BASE}/")
    page = client.get(f"{BASE}/{policy_id}").text
    assert all(text in page for text in ("Alice", "Bob", "15 min"))
    with db.unit_of_work(readonly=True) as uow:
        policy = uow.session.get_one(EscalationPolicy, policy_id)
        assert [(lv.position, lv.delay_minutes) for lv in policy.levels] == [(0, 10), (1, 15)]
        assert policy.repeat_count == 2
    edit = client.get(f"{BASE}/{policy_id}/edit").text
    assert f'<option value="team:{world.team}" selected>' in edit
    r = client.post(f"{BASE}/{policy_id}/services", data={"csrf_token": csrf, "service_id": world.service},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert count(db, Service, Service.escalation_policy_id == policy_id) == 1
    assert "No service pages through this policy" not in client.get(f"{BASE}/{policy_id}").text
    r = client.post(f"{BASE}/{policy_id}/services/{world.service}/remove", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert count(db, Service, Service.escalation_policy_id == policy_id) == 0


def test_errors_point_at_the_row(
    client: TestClient, db: Database, people: dict[str, Person], world: World
) -> None:
    csrf = as_person(client, people["manager"])
    r = client.post(f"{BASE}/new", data={
        "csrf_token": csrf, "name": "Checkout", "team_id": world.team, "repeat_count": "0",
        "levels.0.targets": [], "levels.0.delay_minutes": "5",
        "levels.1.targets": [f"user:{world.alice}"], "levels.1.delay_minutes": "0",
    })  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-levels.1.delay_minutes")
    assert f'<option value="user:{world.alice}" selected>' in r.text
    r = client.post(f"{BASE}/new", data={"csrf_token": csrf, "name": "Checkout", "team_id": world.team,
                                        "repeat_count": "0"})  # fmt: skip
    assert r.status_code == 422
    assert 'id="f-levels-error"' in r.text
    assert count(db, EscalationPolicy) == 0
