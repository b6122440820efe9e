"""Investigation records over the API: an incident's observables, affected assets and
ATT&CK techniques, the search for a value across incidents (``/observables``) and the
shipped technique list for pickers (``/attack/techniques``). Viewers read, responders
write; an incident the caller may not see is a 404, and the search never shows one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.events.actor import Role
from muster.domain.investigation import assets, attack, observables, techniques
from muster.domain.investigation.schemas import (
    AssetIn,
    AssetOut,
    AssetStatusIn,
    AttackTechniqueOut,
    ObservableIn,
    ObservableKind,
    ObservableOut,
    ObservableUpdate,
    SightingOut,
    TechniqueIn,
    TechniqueOut,
)
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["investigation"], responses=PROBLEM_RESPONSES)
OBSERVABLES = "/incidents/{incident_id}/observables"
ASSETS = "/incidents/{incident_id}/assets"
TECHNIQUES = "/incidents/{incident_id}/techniques"
VIEWER = Depends(api_caller(Role.VIEWER))
RESPONDER = Depends(api_caller(Role.RESPONDER))
CTX = Depends(app_context)


@router.get(OBSERVABLES, response_model=ListOut[ObservableOut], summary="An incident's observables")
def list_observables(incident_id: str, caller: Caller = VIEWER, ctx: AppContext = CTX) -> ListOut[
    ObservableOut
]:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = observables.list_observables(uow, caller.actor, incident_id)
        return ListOut(items=observables.observables_out(uow, caller.actor, rows))


@router.post(OBSERVABLES, response_model=ObservableOut, status_code=201,
             summary="Add an observable (responder)")  # fmt: skip
def add_observable(
    incident_id: str, body: ObservableIn, caller: Caller = RESPONDER, ctx: AppContext = CTX
) -> ObservableOut:
    with ctx.db.unit_of_work() as uow:
        row = observables.do_add_observable(uow, caller.actor, incident_id, body)
        out = observables.observables_out(uow, caller.actor, [row])[0]
        uow.commit()
        return out


@router.patch(OBSERVABLES + "/{observable_id}", response_model=ObservableOut,
              summary="Change an observable's TLP, IOC, sighted, tags (responder)")  # fmt: skip
def update_observable(
    incident_id: str, observable_id: str, body: ObservableUpdate, caller: Caller = RESPONDER,
    ctx: AppContext = CTX,
) -> ObservableOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        row = observables.do_update_observable(uow, caller.actor, incident_id, observable_id,
                                               body)  # fmt: skip
        out = observables.observables_out(uow, caller.actor, [row])[0]
        uow.commit()
        return out


@router.delete(OBSERVABLES + "/{observable_id}", status_code=204,
               summary="Remove an observable (responder)")  # fmt: skip
def remove_observable(
    incident_id: str, observable_id: str, caller: Caller = RESPONDER, ctx: AppContext = CTX
) -> Response:
    with ctx.db.unit_of_work() as uow:
        observables.do_remove_observable(uow, caller.actor, incident_id, observable_id)
        uow.commit()
    return Response(status_code=204)


@router.get("/observables", response_model=ListOut[SightingOut],
            summary="Where a value was seen: observables across incidents, newest first")  # fmt: skip
def search_observables(
    value: str = Query(min_length=1, max_length=4096),
    kind: ObservableKind | None = None,
    limit: int = Query(100, ge=1, le=observables.MAX_SEARCH),
    cursor: str | None = None,
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> ListOut[SightingOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = observables.search_observables(
            uow, caller.actor, value, kind, limit=limit, cursor=cursor
        )
        return ListOut(items=list(page.items), next_cursor=page.next_cursor)


@router.get(ASSETS, response_model=ListOut[AssetOut], summary="An incident's affected assets")
def list_assets(incident_id: str, caller: Caller = VIEWER, ctx: AppContext = CTX) -> ListOut[
    AssetOut
]:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = assets.list_assets(uow, caller.actor, incident_id)
        return ListOut(items=[AssetOut.model_validate(r) for r in rows])


@router.post(ASSETS, response_model=AssetOut, status_code=201,
             summary="Add an affected asset (responder)")  # fmt: skip
def add_asset(
    incident_id: str, body: AssetIn, caller: Caller = RESPONDER, ctx: AppContext = CTX
) -> AssetOut:
    with ctx.db.unit_of_work() as uow:
        row = assets.do_add_asset(uow, caller.actor, incident_id, body)
        uow.commit()
        return AssetOut.model_validate(row)


@router.patch(ASSETS + "/{asset_id}", response_model=AssetOut,
              summary="Change an asset's compromise status (responder)")  # fmt: skip
def set_asset_status(
    incident_id: str, asset_id: str, body: AssetStatusIn, caller: Caller = RESPONDER,
    ctx: AppContext = CTX,
) -> AssetOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        row = assets.do_set_asset_status(uow, caller.actor, incident_id, asset_id, body)
        uow.commit()
        return AssetOut.model_validate(row)


@router.get(TECHNIQUES, response_model=ListOut[TechniqueOut],
            summary="ATT&CK techniques observed in an incident")  # fmt: skip
def list_techniques(incident_id: str, caller: Caller = VIEWER, ctx: AppContext = CTX) -> ListOut[
    TechniqueOut
]:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = techniques.list_techniques(uow, caller.actor, incident_id)
        return ListOut(items=[techniques.technique_out(r) for r in rows])


@router.post(TECHNIQUES, response_model=TechniqueOut, status_code=201,
             summary="Add an ATT&CK technique (responder)")  # fmt: skip
def add_technique(
    incident_id: str, body: TechniqueIn, caller: Caller = RESPONDER, ctx: AppContext = CTX
) -> TechniqueOut:
    with ctx.db.unit_of_work() as uow:
        row = techniques.do_add_technique(uow, caller.actor, incident_id, body)
        uow.commit()
        return techniques.technique_out(row)


@router.delete(TECHNIQUES + "/{row_id}", status_code=204,
               summary="Remove a technique from an incident (responder)")  # fmt: skip
def remove_technique(
    incident_id: str, row_id: str, caller: Caller = RESPONDER, ctx: AppContext = CTX
) -> Response:
    with ctx.db.unit_of_work() as uow:
        techniques.do_remove_technique(uow, caller.actor, incident_id, row_id)
        uow.commit()
    return Response(status_code=204)


@router.get("/attack/techniques", response_model=ListOut[AttackTechniqueOut],
            summary="The shipped ATT&CK Enterprise techniques, by id prefix or name")  # fmt: skip
def attack_techniques(
    q: str = Query("", max_length=200),
    limit: int = Query(attack.MAX_MATCHES, ge=1, le=500),
    _caller: Caller = VIEWER,
) -> ListOut[AttackTechniqueOut]:
    return ListOut(
        items=[
            AttackTechniqueOut(id=t.id, name=t.name, tactics=list(t.tactics), label=t.label)
            for t in attack.search(q, limit=limit)
        ]
    )
