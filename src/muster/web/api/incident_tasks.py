"""/api/v1/incidents/{id}/tasks and /api/v1/incident-tasks/{id}: an incident's tasks
(title, owner, due time, status, phase); overdue ones are flagged."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from muster.domain.events.actor import Role
from muster.domain.incidents import tasks
from muster.domain.incidents.task_schemas import TaskIn, TaskOut, TaskUpdate
from muster.domain.incidents.visibility import get_visible_incident
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["incidents"], responses=PROBLEM_RESPONSES)


@router.get(
    "/incidents/{incident_id}/tasks", response_model=ListOut[TaskOut], summary="An incident's tasks"
)
def list_tasks(
    incident_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[TaskOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        get_visible_incident(uow, caller.actor, incident_id)
        now = uow.now
        return ListOut(items=[tasks.task_out(t, now) for t in tasks.list_tasks(uow, incident_id)])


@router.post(
    "/incidents/{incident_id}/tasks",
    response_model=TaskOut,
    status_code=201,
    summary="Add a task (responder)",
)
def create_task(
    incident_id: str,
    body: TaskIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> TaskOut:
    with ctx.db.unit_of_work() as uow:
        task = tasks.do_create_task(uow, caller.actor, incident_id, body)
        uow.commit()
        return tasks.task_out(task, uow.now)


@router.get("/incident-tasks/{task_id}", response_model=TaskOut, summary="Show a task")
def show_task(
    task_id: str,
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> TaskOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return tasks.task_out(tasks.get_task(uow, caller.actor, task_id), uow.now)


@router.patch(
    "/incident-tasks/{task_id}",
    response_model=TaskOut,
    summary="Change a task: status, owner, due time ... (responder)",
)
def update_task(
    task_id: str,
    body: TaskUpdate,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> TaskOut:
    with ctx.db.unit_of_work() as uow:
        task = tasks.do_update_task(uow, caller.actor, task_id, body)
        uow.commit()
        return tasks.task_out(task, uow.now)
