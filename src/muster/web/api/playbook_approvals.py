"""/api/v1/playbook-steps/{id}/decision: approve or reject a playbook run's approval
step (the role's holder in the incident, or an admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, StringConstraints

from muster.domain.accounts.schemas import Strict
from muster.domain.events.actor import Role
from muster.domain.playbooks.approvals import MAX_NOTE, do_decide_approval
from muster.web.api.common import PROBLEM_RESPONSES
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/playbook-steps", tags=["playbooks"], responses=PROBLEM_RESPONSES)


class DecisionIn(Strict):
    approve: bool
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NOTE)] = ""


class DecisionOut(BaseModel):
    step_id: str
    run_id: str
    decision: str
    step_status: str
    run_status: str


@router.post("/{step_id}/decision", response_model=DecisionOut, summary="Decide an approval")
def decide(
    step_id: str,
    body: DecisionIn,
    caller: Caller = Depends(api_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> DecisionOut:
    with ctx.db.unit_of_work() as uow:
        row = do_decide_approval(uow, caller.actor, step_id, body.approve, body.note)
        uow.commit()
        return DecisionOut(
            step_id=row.id, run_id=row.run_id, decision=row.decision or "",
            step_status=row.status, run_status=row.run.status,
        )  # fmt: skip
