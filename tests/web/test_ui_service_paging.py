"""The Paging section of the service page: the escalation policy and urgency rules are
shown to everyone and set by managers; bad input is named by field and changes nothing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from escalation_support import World, build_world, make_policy, user
from helpers import Person
from muster.db.uow import Database
from muster.domain.catalog.models import Service
from ui_support import as_person, field_has_error, last_event


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


def section(html: str) -> str:
    match = re.search(r'<section class="card" id="paging">(.*?)</section>', html, re.S)
    assert match, "the service page has no Paging section"
    return " ".join(match.group(1).split())


def paging_of(db: Database, service_id: str) -> tuple[str | None, dict[str, object]]:
    with db.unit_of_work(readonly=True) as uow:
        service = uow.session.get_one(Service, service_id)
        return service.escalation_policy_id, dict(service.urgency_rules or {})


GOOD = {
    "low_severities": ["info", "warning"],
    "zone": "Europe/Berlin",
    "days": ["0", "1", "2", "3", "4"],
    "start": "09:00",
    "end": "18:00",
}


def test_managers_set_policy_and_urgency(
    client: TestClient, db: Database, people: dict[str, Person], world: World
) -> None:
    policy = make_policy(db, world, [[user(world.alice)]], assign=False)
    url = f"/services/{world.service}"
    csrf = as_person(client, people["manager"])
    shown = section(client.get(url).text)
    assert "alerts of this service page nobody" in shown
    assert f'<option value="{policy}">Checkout</option>' in shown
    data = {"csrf_token": csrf, "escalation_policy_id": policy, **GOOD}
    r = client.post(f"{url}/paging", data=data, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{url}?saved=paging#paging"
    policy_id, rules = paging_of(db, world.service)
    assert policy_id == policy
    assert rules == {
        "low_severities": ["info", "warning"],
        "support_hours": {"zone": "Europe/Berlin", "days": [0, 1, 2, 3, 4],
                          "start": "09:00", "end": "18:00"},
    }  # fmt: skip
    assert last_event(db, "service.paging_changed").subject_id == world.service
    page = client.get(f"{url}?saved=paging").text
    assert "Paging was saved." in page
    shown = section(page)
    assert f'href="/escalation-policies/{policy}"' in shown
    assert "info, warning" in shown
    assert "Mon, Tue, Wed, Thu, Fri 09:00\N{EN DASH}18:00 (Europe/Berlin)" in shown
    assert f'<option value="{policy}" selected>' in shown
    # an empty zone removes support hours; no policy stops paging
    data = {"csrf_token": csrf, "escalation_policy_id": "", "zone": "", "low_severities": []}
    assert client.post(f"{url}/paging", data=data, follow_redirects=False).status_code == 303
    assert paging_of(db, world.service) == (None, {"low_severities": [], "support_hours": None})


def test_only_managers_may_change_paging(
    client: TestClient, db: Database, people: dict[str, Person], world: World
) -> None:
    policy = make_policy(db, world, [[user(world.alice)]], assign=False)
    for role in ("viewer", "responder"):
        csrf = as_person(client, people[role])
        page = client.get(f"/services/{world.service}").text
        assert "Save paging" not in page
        assert "alerts of this service page nobody" in section(page)
        r = client.post(f"/services/{world.service}/paging",
                        data={"csrf_token": csrf, "escalation_policy_id": policy})  # fmt: skip
        assert r.status_code == 403
    assert paging_of(db, world.service) == (None, {})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"escalation_policy_id": "no-such-policy"}, "p-escalation_policy_id"),
        ({"zone": "Mars/Base"}, "p-zone"),
        ({"start": "18:00", "end": "09:00"}, "p-end"),
        ({"start": "25:00"}, "p-start"),
        ({"days": []}, "p-days"),
        ({"low_severities": ["urgent"]}, "p-low_severities"),
    ],
)
def test_bad_paging_is_named_and_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person], world: World,
    change: dict[str, object], field: str,
) -> None:  # fmt: skip
    csrf = as_person(client, people["manager"])
    data = {"csrf_token": csrf, "escalation_policy_id": "", **GOOD, **change}
    r = client.post(f"/services/{world.service}/paging", data=data)
    assert r.status_code == 422, r.text
    if field in ("p-days", "p-low_severities"):
        assert f'id="{field}-error"' in r.text
    else:
        assert field_has_error(r.text, field)
    assert paging_of(db, world.service) == (None, {})
