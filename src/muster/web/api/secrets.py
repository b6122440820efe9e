"""/api/v1/secrets: the secret store playbook actions read (``{{ secrets.NAME }}``).

Write-only: a value goes in (``PUT``) and never comes out — lists show names, who set
them and when. Managers may list the names (they write playbooks); only admins set and
delete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, StringConstraints

from muster.domain.accounts.schemas import Strict
from muster.domain.events.actor import Role
from muster.domain.playbooks import secrets
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/secrets", tags=["secrets"], responses=PROBLEM_RESPONSES)


class SecretIn(Strict):
    value: Annotated[str, StringConstraints(min_length=1, max_length=secrets.MAX_VALUE)]
    description: Annotated[str, StringConstraints(max_length=secrets.MAX_DESCRIPTION)] = ""


class SecretOut(BaseModel):
    """A secret's name and history; never its value."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    created_by: str


@router.get("", response_model=ListOut[SecretOut], summary="List secret names")
def list_secrets(
    caller: Caller = Depends(api_caller(Role.MANAGER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[SecretOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = secrets.secret_names(uow, caller.actor)
        return ListOut(items=[SecretOut.model_validate(r) for r in rows])


@router.put("/{name}", response_model=SecretOut, summary="Set (or replace) a secret")
def set_secret(
    name: str,
    body: SecretIn,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> SecretOut:
    with ctx.db.unit_of_work() as uow:
        row = secrets.do_set_secret(
            uow, caller.actor, name, body.value, ctx.settings.secret_key,
            description=body.description,
        )  # fmt: skip
        uow.commit()
        return SecretOut.model_validate(row)


@router.delete("/{name}", status_code=204, summary="Delete a secret")
def delete_secret(
    name: str,
    caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        secrets.do_delete_secret(uow, caller.actor, name)
        uow.commit()
    return Response(status_code=204)
