"""The Escalation card of an alert group's page: policy, level, who was paged and when,
what is next, warnings; and its escalate-now, reassign and snooze buttons."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from escalation_support import (
    World,
    build_world,
    escalation,
    events,
    make_policy,
    make_schedule,
    trigger,
    user,
)  # fmt: skip
from helpers import SYSTEM, Person
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.escalation.schemas import ServicePagingIn, SupportHoursIn, UrgencyRulesIn
from muster.domain.escalation.service import do_assign_policy
from muster.engine.modules import default_modules
from muster.engine.runner import Runner
from muster.web.live import LIVE_EVENT_TYPES, topics_of
from ui_support import as_person, field_has_error


@pytest.fixture
def world(db: Database) -> World:
    return build_world(db)


def run(db: Database) -> None:
    result = Runner(db, default_modules()).run_until_idle()
    assert not result.errors, result.errors


def card(html: str) -> str:
    match = re.search(
        r'<section class="card escalation" id="escalation">(.*?)</section>', html, re.S
    )
    assert match, "the page has no Escalation card"
    return match.group(1)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def paging(db: Database, world: World) -> tuple[str, str]:
    """A three-level policy (alice, bob, carol) paging a group at level 1: (policy, group)."""
    policy = make_policy(db, world, [[user(world.alice)], [user(world.bob)], [user(world.carol)]])
    group = trigger(db, world)
    run(db)
    return policy, group


def test_card_shows_policy_level_pages_and_next_step(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person],
    world: World, paging: tuple[str, str],
) -> None:  # fmt: skip
    policy, group = paging
    clock.advance(minutes=5)
    run(db)
    as_person(client, people["viewer"])
    html = card(client.get(f"/alert-groups/{group}").text)
    assert f'href="/escalation-policies/{policy}"' in html
    shown = text(html)
    assert "level 2 of 3" in shown
    assert re.search(r"level 1 .*Alice.* level 2 .*Bob", shown), shown
    assert "2026-01-05 09:00 UTC" in shown
    assert "2026-01-05 09:05 UTC" in shown
    assert "Level 3 is paged at 2026-01-05 09:10 UTC" in shown
    assert "Escalate now" not in html  # a viewer sees no buttons


def test_card_names_warnings_and_exhaustion(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person], world: World
) -> None:
    empty = make_schedule(db, world, "Nights", [], datetime(2026, 1, 1, tzinfo=UTC))
    make_policy(db, world, [[{"type": "schedule", "id": empty}], [user(world.alice)]])
    group = trigger(db, world)
    run(db)
    clock.advance(minutes=5)
    run(db)
    as_person(client, people["viewer"])
    shown = text(card(client.get(f"/alert-groups/{group}").text))
    assert "level 1 skipped: nobody is on call on Nights" in shown
    assert "Alice was not notified" in shown  # no verified contact method
    clock.advance(minutes=10)
    run(db)
    shown = text(card(client.get(f"/alert-groups/{group}").text))
    assert "Exhausted: every level was paged" in shown


def test_group_without_policy_says_so(
    client: TestClient, db: Database, people: dict[str, Person], world: World
) -> None:
    group = trigger(db, world)
    run(db)
    as_person(client, people["viewer"])
    assert "Not escalated" in card(client.get(f"/alert-groups/{group}").text)


def test_escalate_now_advances_the_level(
    client: TestClient, db: Database, people: dict[str, Person], paging: tuple[str, str]
) -> None:
    _, group = paging
    url = f"/alert-groups/{group}/escalation/escalate-now"
    csrf = as_person(client, people["viewer"])
    assert client.post(url, data={"csrf_token": csrf}).status_code == 403
    assert escalation(db, group).reached_level_index == 0
    csrf = as_person(client, people["responder"])
    assert client.post(url, data={}).status_code == 403  # no CSRF token
    r = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/alert-groups/{group}#escalation"
    assert escalation(db, group).reached_level_index == 1
    assert "level 2 of 3" in text(card(client.get(f"/alert-groups/{group}").text))
    assert client.post("/alert-groups/nope/escalation/escalate-now",
                       data={"csrf_token": csrf}).status_code == 404  # fmt: skip


def test_reassign_to_a_person_or_a_policy(
    client: TestClient, db: Database, people: dict[str, Person], world: World,
    paging: tuple[str, str],
) -> None:  # fmt: skip
    _, group = paging
    url = f"/alert-groups/{group}/escalation/reassign"
    csrf = as_person(client, people["viewer"])
    assert (
        client.post(url, data={"csrf_token": csrf, "to": f"user:{world.carol}"}).status_code == 403
    )
    csrf = as_person(client, people["responder"])
    page = client.get(f"/alert-groups/{group}").text
    assert f'<option value="user:{world.carol}">' in page
    for bad in ("", "pager:x", "user:ghost"):
        r = client.post(url, data={"csrf_token": csrf, "to": bad})
        assert r.status_code == 422, bad
        assert field_has_error(r.text, "esc-to")
    assert escalation(db, group).policy_id is not None
    r = client.post(
        url, data={"csrf_token": csrf, "to": f"user:{world.carol}"}, follow_redirects=False
    )
    assert r.status_code == 303
    esc = escalation(db, group)
    assert (esc.policy_id, esc.policy["name"]) == (None, "Reassigned to Carol")
    assert events(db, "notification.requested", group)[-1].data["user_id"] == world.carol
    other = make_policy(db, world, [[user(world.bob)]], name="Backend", assign=False)
    r = client.post(url, data={"csrf_token": csrf, "to": f"policy:{other}"}, follow_redirects=False)
    assert r.status_code == 303
    assert escalation(db, group).policy_id == other
    assert "Backend" in text(card(client.get(f"/alert-groups/{group}").text))


def test_snooze_for_a_chosen_time(
    client: TestClient, db: Database, people: dict[str, Person], paging: tuple[str, str]
) -> None:
    _, group = paging
    url = f"/alert-groups/{group}/escalation/snooze"
    csrf = as_person(client, people["viewer"])
    assert client.post(url, data={"csrf_token": csrf, "minutes": "60"}).status_code == 403
    csrf = as_person(client, people["responder"])
    for bad in ("0", "soon", "99999"):
        r = client.post(url, data={"csrf_token": csrf, "minutes": bad})
        assert r.status_code == 422, bad
        assert field_has_error(r.text, "esc-minutes")
    assert escalation(db, group).status == "active"
    r = client.post(url, data={"csrf_token": csrf, "minutes": "240"}, follow_redirects=False)
    assert r.status_code == 303
    assert escalation(db, group).status == "snoozed"
    shown = text(card(client.get(f"/alert-groups/{group}").text))
    assert "Snoozed until 2026-01-05 13:00 UTC" in shown


def test_resolved_group_has_no_buttons_and_refuses_them(
    client: TestClient, db: Database, people: dict[str, Person], paging: tuple[str, str]
) -> None:
    _, group = paging
    csrf = as_person(client, people["responder"])
    client.post(f"/alert-groups/{group}/resolve", data={"csrf_token": csrf})
    run(db)
    html = card(client.get(f"/alert-groups/{group}").text)
    assert "Escalate now" not in html
    assert "Stopped: the group is resolved" in text(html)
    r = client.post(f"/alert-groups/{group}/escalation/escalate-now", data={"csrf_token": csrf})
    assert r.status_code == 409


def test_escalation_events_reach_the_group_page(db: Database, paging: tuple[str, str]) -> None:
    _, group = paging
    reached = events(db, "escalation.level_reached", group)[0]
    assert "escalation.level_reached" in LIVE_EVENT_TYPES
    topics = topics_of(reached.stream, reached.subject_type, reached.subject_id, reached.data)
    assert f"alert_group:{group}" in topics


def test_low_urgency_group_held_until_support_hours(
    client: TestClient, db: Database, people: dict[str, Person], world: World
) -> None:
    policy = make_policy(db, world, [[user(world.alice)], [user(world.bob)]])
    hours = SupportHoursIn(zone="UTC", days=[0, 1, 2, 3, 4], start="10:00", end="18:00")
    paging = ServicePagingIn(
        escalation_policy_id=policy,
        urgency_rules=UrgencyRulesIn(low_severities=["warning"], support_hours=hours),
    )
    with db.unit_of_work() as uow:
        do_assign_policy(uow, SYSTEM, world.service, paging)
        uow.commit()
    group = trigger(db, world, severity="warning")  # Monday 09:00: before support hours
    run(db)
    as_person(client, people["viewer"])
    shown = text(card(client.get(f"/alert-groups/{group}").text))
    assert "held: low urgency" in shown
    assert "Held until support hours, at 2026-01-05 10:00 UTC" in shown
