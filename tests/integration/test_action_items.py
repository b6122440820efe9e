"""Action items: creating with the default team, status transitions and their
preconditions, bad input, tracking across incidents by team and age (with the clock),
restricted incidents hidden, and the completion-rate definition."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from helpers import SYSTEM
from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team
from muster.domain.reviews import action_views
from muster.domain.reviews.action_schemas import ActionItemIn, ActionItemUpdate
from muster.domain.reviews.action_views import ActionItemFilter
from muster.domain.reviews.actions import (
    do_create_action_item,
    do_update_action_item,
    get_action_item,
)
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def add(db: Database, cast: Cast, incident_id: str, **fields: Any) -> str:
    data = {"title": "Add a disk alert", "kind": "detect", **fields}
    with db.unit_of_work() as uow:
        item = do_create_action_item(uow, cast.ic, incident_id, ActionItemIn.model_validate(data))
        uow.commit()
        return item.id


def change(db: Database, cast: Cast, item_id: str, **fields: Any) -> None:
    with db.unit_of_work() as uow:
        do_update_action_item(uow, cast.ic, item_id, ActionItemUpdate.model_validate(fields))
        uow.commit()


def read(db: Database, cast: Cast, item_id: str) -> Any:
    with db.unit_of_work(readonly=True) as uow:
        return action_views.items_out(uow, [get_action_item(uow, cast.admin, item_id)])[0]


def test_create_numbers_globally_defaults_team_and_records_event(db: Database, cast: Cast) -> None:
    first = declare(db, cast.ic, service_ids=[cast.service])
    second = declare(db, cast.ic, title="Other")
    a = add(db, cast, first, owner_id=cast.resp.id, due_on="2026-01-20", priority="P1")
    b = add(db, cast, second, title="Write the runbook", kind="process")
    out_a, out_b = read(db, cast, a), read(db, cast, b)
    assert (out_a.key, out_b.key) == ("AI-1", "AI-2")
    # resp is in no team: the team of the incident's first service; no service: no team
    assert (out_a.team_id, out_b.team_id) == (cast.team, None)
    assert (out_a.priority, out_b.priority, out_a.status) == ("P1", "P3", "open")
    assert out_a.due_on == date(2026, 1, 20)
    with db.unit_of_work(readonly=True) as uow:
        assert get_action_item(uow, cast.admin, "ai-2").id == b
    added = [e.data for e in incident_events(db, first) if e.type == "incident.action_item_added"]
    assert added[0]["action_item_id"] == a
    assert (added[0]["priority"], added[0]["kind"], added[0]["due_on"]) == (
        "P1",
        "detect",
        "2026-01-20",
    )


def test_default_team_is_the_owners_team(db: Database, cast: Cast) -> None:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Storage"))
        do_add_team_member(uow, SYSTEM, team.id, MemberAdd(user_id=str(cast.resp.id)))
        uow.commit()
        storage = team.id
    incident = declare(db, cast.ic, service_ids=[cast.service])
    assert read(db, cast, add(db, cast, incident, owner_id=cast.resp.id)).team_id == storage


def test_status_transitions_and_preconditions(db: Database, cast: Cast, clock: ManualClock) -> None:
    incident = declare(db, cast.ic)
    item = add(db, cast, incident)
    with pytest.raises(Conflict) as err:
        change(db, cast, item, status="in_progress")
    assert err.value.errors[0].field == "owner_id"
    with pytest.raises(InvalidInput) as bad:
        change(db, cast, item, status="wont_do")
    assert bad.value.errors[0].field == "wont_do_reason"
    assert read(db, cast, item).status == "open"
    change(db, cast, item, owner_id=cast.resp.id, status="in_progress")
    clock.advance(hours=2)
    change(db, cast, item, status="done")
    out = read(db, cast, item)
    assert (out.status, out.done_at, out.done_by) == ("done", clock.now(), "ic@example.com")
    change(db, cast, item, status="open")
    out = read(db, cast, item)
    assert (out.status, out.done_at, out.done_by) == ("open", None, None)
    change(db, cast, item, status="wont_do", wont_do_reason="Service retired")
    assert read(db, cast, item).wont_do_reason == "Service retired"
    change(db, cast, item, status="open")
    assert read(db, cast, item).wont_do_reason is None
    updates = [e.data["changes"] for e in incident_events(db, incident)
               if e.type == "incident.action_item_updated"]  # fmt: skip
    assert [u["status"]["to"] for u in updates] == [
        "in_progress",
        "done",
        "open",
        "wont_do",
        "open",
    ]
    assert updates[0]["owner_id"] == {"from": None, "to": cast.resp.id}


def test_bad_input_changes_nothing(db: Database, cast: Cast) -> None:
    incident = declare(db, cast.ic)
    item = add(db, cast, incident)
    with pytest.raises(ValidationError):
        ActionItemIn.model_validate({"title": "x", "kind": "blame"})
    with pytest.raises(ValidationError):
        ActionItemIn.model_validate({"title": "x", "kind": "detect", "priority": "P9"})
    with pytest.raises(ValidationError):
        ActionItemUpdate.model_validate({"tracker_url": "javascript:alert(1)"})
    for fields, field in (
        ({"owner_id": cast.viewer.id}, "owner_id"),
        ({"owner_id": "nobody"}, "owner_id"),
        ({"team_id": "nope"}, "team_id"),
        ({"tracker_key": "OPS-1"}, "tracker_url"),
        ({"title": None}, "title"),
    ):
        with pytest.raises(InvalidInput) as err:
            change(db, cast, item, **fields)
        assert err.value.errors[0].field == field
    out = read(db, cast, item)
    assert (out.owner_id, out.team_id, out.tracker_key, out.title) == (
        None,
        None,
        None,
        "Add a disk alert",
    )
    change(db, cast, item, tracker_url="https://jira.example.com/browse/OPS-7", tracker_key="OPS-7")
    assert read(db, cast, item).tracker_key == "OPS-7"
    with pytest.raises(PermissionDenied), db.unit_of_work() as uow:
        do_update_action_item(uow, cast.viewer, item, ActionItemUpdate(priority="P1"))


def test_restricted_incidents_items_are_hidden(db: Database, cast: Cast) -> None:
    secret = declare(db, cast.ic, restricted=True)
    public = declare(db, cast.ic)
    hidden = add(db, cast, secret, owner_id=cast.resp.id)  # the owner joins: resp sees it
    add(db, cast, public)
    with db.unit_of_work(readonly=True) as uow:
        for who, expected in ((cast.outsider, 1), (cast.resp, 2), (cast.sec, 2), (cast.viewer, 1)):
            page = action_views.list_action_items(uow, who, ActionItemFilter())
            assert len(page.items) == expected
        with pytest.raises(NotFound):
            get_action_item(uow, cast.outsider, hidden)
        ages = action_views.open_by_team_and_age(uow, cast.outsider, ActionItemFilter())
        assert sum(t.total for t in ages) == 1


def test_tracking_across_incidents_by_team_and_age(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    a = declare(db, cast.ic, service_ids=[cast.service])
    b = declare(db, cast.ic, title="Other", service_ids=[cast.service])
    old = add(db, cast, a, due_on=(clock.now() + timedelta(days=5)).date().isoformat())
    clock.advance(days=60)
    add(db, cast, b)  # 40 days old at the end
    clock.advance(days=32)
    mid = add(db, cast, b)  # 8 days old at the end
    clock.advance(days=8)
    add(db, cast, a, title="Fresh")
    fresh_no_team = declare(db, cast.ic, title="Teamless")
    add(db, cast, fresh_no_team)
    done = add(db, cast, a)
    change(db, cast, done, status="done")
    with db.unit_of_work(readonly=True) as uow:
        rows = action_views.open_by_team_and_age(uow, cast.admin, ActionItemFilter())
        core, none = rows
        assert (core.team_id, core.team_name) == (cast.team, "Core")
        assert core.buckets == {"0-7": 1, "8-30": 1, "31-90": 1, "90+": 1}
        assert core.overdue == 1  # only the first had a due day (long past)
        assert (none.team_id, none.team_name, none.total) == ("", "No team", 1)
        f = ActionItemFilter(team_id=cast.team, age="8-30")
        assert [i.id for i in action_views.list_action_items(uow, cast.admin, f).items] == [mid]
        overdue = action_views.list_action_items(uow, cast.admin, ActionItemFilter(overdue=True))
        assert [i.id for i in overdue.items] == [old]
        with pytest.raises(InvalidInput):
            action_views.list_action_items(uow, cast.admin, ActionItemFilter(age="old"))
        paged = action_views.list_action_items(uow, cast.admin, ActionItemFilter(), limit=2)
        assert paged.next_cursor is not None
        rest = action_views.list_action_items(
            uow, cast.admin, ActionItemFilter(), cursor=paged.next_cursor, limit=10
        )
        assert len(paged.items) + len(rest.items) == 6


def test_completion_rate_definition(db: Database, cast: Cast, clock: ManualClock) -> None:
    incident = declare(db, cast.ic)
    today = clock.now().date()
    on_time = add(db, cast, incident, due_on=today.isoformat())
    late = add(db, cast, incident, due_on=today.isoformat())
    add(db, cast, incident, due_on=(today + timedelta(days=1)).isoformat())  # open: not done
    skipped = add(db, cast, incident, due_on=today.isoformat())
    add(db, cast, incident, due_on=(today + timedelta(days=40)).isoformat())  # outside window
    add(db, cast, incident)  # no due day: never counts
    change(db, cast, on_time, status="done")
    change(db, cast, skipped, status="wont_do", wont_do_reason="Not needed")
    clock.advance(days=2)
    change(db, cast, late, status="done")
    window = ActionItemFilter(due_from=today, due_before=today + timedelta(days=7))
    with db.unit_of_work(readonly=True) as uow:
        rate = action_views.completion_rate(uow, window)
        empty = action_views.completion_rate(
            uow, ActionItemFilter(due_from=today - timedelta(days=9), due_before=today)
        )
    assert (rate.due, rate.done, rate.done_on_time) == (3, 2, 1)
    assert rate.rate == pytest.approx(2 / 3)
    assert rate.on_time_rate == pytest.approx(1 / 3)
    assert (empty.due, empty.rate) == (0, None)


def test_no_items_on_a_merged_or_declined_incident(db: Database, cast: Cast) -> None:
    from muster.domain.incidents.transitions import do_transition

    incident = declare(db, cast.ic)
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident, "declined", note="false alarm")
        uow.commit()
    with pytest.raises(Conflict):
        add(db, cast, incident)
