"""/api/v1/correlation-rules, correlation matches, alert clusters and the grouping
settings (admins edit; everyone signed in reads)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from muster.domain.correlation import rules, settings, views
from muster.domain.correlation.schemas import (
    ClusterOut,
    MatchOut,
    RuleIn,
    RuleOut,
    SettingsIn,
    SettingsOut,
)
from muster.domain.events.actor import Role
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["correlation"])
Viewer = Depends(api_caller(Role.VIEWER))
Responder = Depends(api_caller(Role.RESPONDER))  # matches name who was seen
Admin = Depends(api_caller(Role.ADMIN))
Ctx = Depends(app_context)


@router.get("/correlation-rules", response_model=ListOut[RuleOut], summary="Correlation rules")
def list_rules(caller: Caller = Viewer, ctx: AppContext = Ctx) -> ListOut[RuleOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[RuleOut.model_validate(r) for r in rules.list_rules(uow)])


@router.post("/correlation-rules", response_model=RuleOut, status_code=201,
             summary="Add a correlation rule (admin)")  # fmt: skip
def create_rule(body: RuleIn, caller: Caller = Admin, ctx: AppContext = Ctx) -> RuleOut:
    with ctx.db.unit_of_work() as uow:
        row = rules.do_create_rule(uow, caller.actor, body)
        uow.commit()
        return RuleOut.model_validate(row)


@router.get("/correlation-rules/{rule_id}", response_model=RuleOut, summary="A correlation rule")
def get_rule(rule_id: str, caller: Caller = Viewer, ctx: AppContext = Ctx) -> RuleOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return RuleOut.model_validate(rules.get_rule(uow, rule_id))


@router.put("/correlation-rules/{rule_id}", response_model=RuleOut,
            summary="Replace a correlation rule (admin)")  # fmt: skip
def update_rule(
    rule_id: str, body: RuleIn, caller: Caller = Admin, ctx: AppContext = Ctx
) -> RuleOut:
    with ctx.db.unit_of_work() as uow:
        row = rules.do_update_rule(uow, caller.actor, rule_id, body)
        uow.commit()
        return RuleOut.model_validate(row)


@router.delete("/correlation-rules/{rule_id}", status_code=204,
               summary="Delete a correlation rule (admin); its matches stay")  # fmt: skip
def delete_rule(rule_id: str, caller: Caller = Admin, ctx: AppContext = Ctx) -> Response:
    with ctx.db.unit_of_work() as uow:
        rules.do_delete_rule(uow, caller.actor, rule_id)
        uow.commit()
    return Response(status_code=204)


@router.get("/correlation-matches", response_model=ListOut[MatchOut],
            summary="Matches, newest first, with the site events that made each")  # fmt: skip
def list_matches(
    alert_id: str | None = Query(default=None, max_length=36),
    incident_id: str | None = Query(default=None, max_length=36),
    rule_id: str | None = Query(default=None, max_length=36),
    limit: int = Query(default=50, ge=1, le=views.MAX_LIST),
    caller: Caller = Responder, ctx: AppContext = Ctx,
) -> ListOut[MatchOut]:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        items = views.list_matches(uow, caller.actor, alert_id=alert_id, incident_id=incident_id,
                                   rule_id=rule_id, limit=limit)  # fmt: skip
        return ListOut(items=items)


@router.get("/correlation-matches/{match_id}", response_model=MatchOut, summary="A match")
def get_match(match_id: str, caller: Caller = Responder, ctx: AppContext = Ctx) -> MatchOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return views.get_match(uow, match_id)


@router.get("/alert-clusters", response_model=ListOut[ClusterOut],
            summary="Security alerts grouped by shared observables, latest first")  # fmt: skip
def list_clusters(
    alert_id: str | None = Query(default=None, max_length=36,
                                 description="Only the cluster holding this alert"),
    limit: int = Query(default=20, ge=1, le=views.MAX_LIST),
    caller: Caller = Viewer, ctx: AppContext = Ctx,
) -> ListOut[ClusterOut]:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        if alert_id is not None:
            one = views.cluster_of_alert(uow, alert_id)
            return ListOut(items=[one] if one else [])
        rows = views.list_clusters(uow, limit=limit)
        return ListOut(items=[views.get_cluster(uow, c.id) for c in rows])


@router.get("/alert-clusters/{cluster_id}", response_model=ClusterOut,
            summary="A cluster: its alerts and what each shares")  # fmt: skip
def get_cluster(cluster_id: str, caller: Caller = Viewer, ctx: AppContext = Ctx) -> ClusterOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return views.get_cluster(uow, cluster_id)


@router.get("/correlation-settings", response_model=SettingsOut,
            summary="How security alerts are grouped")  # fmt: skip
def get_settings(caller: Caller = Viewer, ctx: AppContext = Ctx) -> SettingsOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return SettingsOut.model_validate(settings.get_settings(uow).model_dump())


@router.put("/correlation-settings", response_model=SettingsOut,
            summary="Change the grouping window, kinds and ignored values (admin)")  # fmt: skip
def put_settings(body: SettingsIn, caller: Caller = Admin, ctx: AppContext = Ctx) -> SettingsOut:
    with ctx.db.unit_of_work() as uow:
        out = settings.do_update_settings(uow, caller.actor, body)
        uow.commit()
        return SettingsOut.model_validate(out.model_dump())
