"""Incident tasks: creating, changing, completing and reopening them, their events, the
order they are listed in, what is overdue, bad input, and who may touch them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from incident_support import Cast, build_cast, declare, incident_events
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.incidents.participants import active_participants
from muster.domain.incidents.task_schemas import TaskIn, TaskUpdate
from muster.domain.incidents.tasks import (
    do_create_task,
    do_update_task,
    get_task,
    list_tasks,
    overdue_tasks,
    task_out,
)
from muster.domain.incidents.transitions import do_transition
from muster.errors import Conflict, InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def new_task(db: Database, cast: Cast, incident_id: str, **fields: object) -> str:
    with db.unit_of_work() as uow:
        task = do_create_task(uow, cast.ic, incident_id, TaskIn.model_validate({"title": "Fail over", **fields}))  # fmt: skip
        uow.commit()
        return task.id


def change(db: Database, cast: Cast, task_id: str, **fields: object) -> None:
    with db.unit_of_work() as uow:
        do_update_task(uow, cast.ic, task_id, TaskUpdate.model_validate(fields))
        uow.commit()


def task_events(db: Database, incident_id: str) -> list[tuple[str, dict[str, object]]]:
    return [
        (e.type.removeprefix("incident."), e.data)
        for e in incident_events(db, incident_id)
        if e.type.startswith("incident.task_")
    ]


def test_a_task_has_an_owner_a_due_time_and_the_current_phase(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic, severity=2)
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident_id, "investigating")
        uow.commit()
    due = clock.now() + timedelta(minutes=30)
    task_id = new_task(db, cast, incident_id, owner_id=cast.resp.id, due_at=due.isoformat(),
                       description="Move traffic to eu-west")  # fmt: skip
    with db.unit_of_work(readonly=True) as uow:
        out = task_out(get_task(uow, cast.ic, task_id), clock.now())
        owners = [p.user_id for p in active_participants(uow, incident_id)]
    assert (out.title, out.owner_id, out.owner_name, out.due_at, out.status, out.phase) == (
        "Fail over", cast.resp.id, "Resp", due, "open", "investigating",
    )  # fmt: skip
    assert (out.source, out.created_by, out.overdue, out.completed_at) == (
        "manual", cast.ic.label, False, None,
    )  # fmt: skip
    assert cast.resp.id in owners  # the owner takes part (unpaged)
    ((kind, data),) = task_events(db, incident_id)
    assert kind == "task_created"
    assert (data["task_id"], data["owner_id"], data["due_at"], data["phase"]) == (
        task_id, cast.resp.id, due.isoformat(), "investigating",
    )  # fmt: skip
    added = [e for e in incident_events(db, incident_id) if e.type == "incident.participant_added"]
    assert [(e.data["user_id"], e.data["page"]) for e in added] == [(cast.resp.id, False)]


def test_changes_complete_reopen_and_each_is_one_event(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    task_id = new_task(db, cast, incident_id, phase="contained")
    later = clock.now() + timedelta(hours=1)
    change(db, cast, task_id, title="Fail over to eu-west", owner_id=cast.outsider.id,
           due_at=later.isoformat())  # fmt: skip
    change(db, cast, task_id, title="Fail over to eu-west")  # nothing changes: no event
    clock.advance(timedelta(minutes=20))
    change(db, cast, task_id, status="done")
    with db.unit_of_work(readonly=True) as uow:
        done = get_task(uow, cast.ic, task_id)
        assert (done.status, done.completed_at) == ("done", clock.now())
    change(db, cast, task_id, status="open", owner_id=None, due_at=None)
    with db.unit_of_work(readonly=True) as uow:
        reopened = get_task(uow, cast.ic, task_id)
        assert (reopened.status, reopened.completed_at, reopened.owner_id, reopened.due_at) == (
            "open", None, None, None,
        )  # fmt: skip
        assert reopened.phase == "contained"
    kinds = task_events(db, incident_id)
    assert [k for k, _ in kinds] == ["task_created", "task_updated", "task_updated", "task_updated"]
    assert kinds[1][1]["changes"] == {
        "title": {"from": "Fail over", "to": "Fail over to eu-west"},
        "owner_id": {"from": None, "to": cast.outsider.id},
        "due_at": {"from": None, "to": later.isoformat()},
    }
    assert kinds[2][1]["changes"] == {"status": {"from": "open", "to": "done"}}
    assert kinds[3][1]["changes"] == {
        "status": {"from": "done", "to": "open"},
        "owner_id": {"from": cast.outsider.id, "to": None},
        "due_at": {"from": later.isoformat(), "to": None},
    }


def test_listed_open_first_by_due_time_and_overdue_found(
    db: Database, cast: Cast, clock: ManualClock
) -> None:
    incident_id = declare(db, cast.ic)
    other = declare(db, cast.ic, title="Elsewhere")
    now = clock.now()
    late = new_task(db, cast, incident_id, title="late", due_at=(now + timedelta(minutes=5)).isoformat())  # fmt: skip
    soon = new_task(db, cast, incident_id, title="soon", due_at=(now + timedelta(minutes=2)).isoformat())  # fmt: skip
    undated = new_task(db, cast, incident_id, title="undated")
    finished = new_task(db, cast, incident_id, title="finished", due_at=now.isoformat())
    change(db, cast, finished, status="cancelled")
    elsewhere = new_task(db, cast, other, title="elsewhere", due_at=now.isoformat())
    clock.advance(timedelta(minutes=3))
    with db.unit_of_work(readonly=True) as uow:
        assert [t.id for t in list_tasks(uow, incident_id)] == [soon, late, undated, finished]
        assert [t.id for t in overdue_tasks(uow, clock.now())] == [elsewhere, soon]
        assert [t.id for t in overdue_tasks(uow, clock.now(), incident_id=incident_id)] == [soon]
        flags = {t.title: task_out(t, clock.now()).overdue for t in list_tasks(uow, incident_id)}
    assert flags == {"soon": True, "late": False, "undated": False, "finished": False}
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, other, "declined")
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:  # a declined incident's tasks are not chased
        assert [t.id for t in overdue_tasks(uow, clock.now())] == [soon]


def test_bad_input_is_refused_naming_the_field(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic)
    with pytest.raises(ValidationError) as naive:
        TaskIn.model_validate({"title": "x", "due_at": datetime(2026, 1, 5, 10).isoformat()})  # noqa: DTZ001
    assert naive.value.errors()[0]["loc"] == ("due_at",)
    for fields in ({"title": "  "}, {"title": "x", "phase": "closed"}, {"title": "x", "extra": 1}):
        with pytest.raises(ValidationError):
            TaskIn.model_validate(fields)
    for owner, reason in ((cast.viewer.id, "viewer"), ("nobody", "no active user")):
        with pytest.raises(InvalidInput) as bad:
            new_task(db, cast, incident_id, owner_id=owner)
        assert bad.value.errors[0].field == "owner_id"
        assert reason in bad.value.errors[0].reason
    task_id = new_task(db, cast, incident_id)
    for field in ("title", "status"):
        with pytest.raises(InvalidInput) as null:
            change(db, cast, task_id, **{field: None})
        assert null.value.errors[0].field == field
    with pytest.raises(NotFound):
        change(db, cast, "no-such-task", title="x")
    assert [k for k, _ in task_events(db, incident_id)] == ["task_created"]


def test_no_new_tasks_once_an_incident_is_closed(db: Database, cast: Cast) -> None:
    incident_id = declare(db, cast.ic)
    task_id = new_task(db, cast, incident_id)
    with db.unit_of_work() as uow:
        do_transition(uow, cast.ic, incident_id, "resolved")
        do_transition(uow, cast.ic, incident_id, "closed")
        uow.commit()
    with pytest.raises(Conflict):
        new_task(db, cast, incident_id)
    change(db, cast, task_id, status="done")  # finishing what is left is fine


def test_viewers_cannot_and_outsiders_of_restricted_incidents_do_not_see(
    db: Database, cast: Cast
) -> None:
    open_id = declare(db, cast.ic)
    secret_id = declare(db, cast.ic, type="security")
    open_task, secret_task = new_task(db, cast, open_id), new_task(db, cast, secret_id)
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_create_task(uow, cast.viewer, open_id, TaskIn(title="x"))
    with db.unit_of_work() as uow, pytest.raises(PermissionDenied):
        do_update_task(uow, cast.viewer, open_task, TaskUpdate(status="done"))
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_create_task(uow, cast.outsider, secret_id, TaskIn(title="x"))
    with db.unit_of_work() as uow, pytest.raises(NotFound):
        do_update_task(uow, cast.outsider, secret_task, TaskUpdate(status="done"))
    with db.unit_of_work(readonly=True) as uow, pytest.raises(NotFound):
        get_task(uow, cast.outsider, secret_task)
    # Owning a task of a restricted incident makes its owner a participant who sees it.
    change(db, cast, secret_task, owner_id=cast.outsider.id)
    with db.unit_of_work() as uow:
        assert do_update_task(uow, cast.outsider, secret_task, TaskUpdate(status="done")).status == "done"  # fmt: skip
        uow.commit()
