"""/incidents/{id}/investigation: the incident's observables (with where else each was
seen), affected assets and ATT&CK techniques, and the forms to add and change them.

Plain form posts (Post/Redirect/Get); bad input shows the page again with the form's
errors and changes nothing. Viewers read; responders act. An incident the viewer may
not see is a 404, as everywhere."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.incidents.service import reference
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.investigation import assets, attack, observables, techniques
from muster.domain.investigation.kinds import DEFAULT_TLP, KIND_LABELS, KINDS, TLPS
from muster.domain.investigation.schemas import (
    ASSET_KINDS,
    ASSET_STATUSES,
    AssetIn,
    AssetStatusIn,
    ObservableIn,
    ObservableUpdate,
    TechniqueIn,
)
from muster.domain.sites.identity import incident_trails
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, parse_form, posted, see_other
from muster.web.ui.incident_choices import parse_local, split_list
from muster.web.ui.render import render
from muster.web.ui.sites import site_choices

router = APIRouter(include_in_schema=False)
PAGE = "/incidents/{incident_id}/investigation"
VIEWER = Depends(ui_caller())
RESPONDER = Depends(ui_caller(Role.RESPONDER))
CTX = Depends(app_context)
SAVED = {
    "observable": "Observable added.", "changed": "Observable changed.",
    "removed": "Observable removed.", "asset": "Asset added.", "status": "Status changed.",
    "technique": "Technique added.", "untechnique": "Technique removed.",
}  # fmt: skip


def _page(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    incident_id: str,
    *,
    forms: Mapping[str, FormState] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    forms = dict(forms or {})
    with ctx.db.unit_of_work(readonly=True) as uow:
        actor = caller.actor
        incident = get_visible_incident(uow, actor, incident_id)
        rows = observables.list_observables(uow, actor, incident.id)
        places = site_choices(uow)
        return render(
            request, "incident_investigation.html", caller, status_code=status_code,
            incident=incident, ref=reference(incident), notice=notice,
            can_act=actor.role >= Role.RESPONDER,
            observables=observables.observables_out(uow, actor, rows),
            assets=assets.list_assets(uow, actor, incident.id),
            techniques=[techniques.technique_out(t)
                        for t in techniques.list_techniques(uow, actor, incident.id)],
            kinds=[(k, KIND_LABELS[k]) for k in KINDS], kind_labels=KIND_LABELS,
            tlps=[(t, t) for t in TLPS], asset_kinds=[(k, k.capitalize()) for k in ASSET_KINDS],
            asset_statuses=list(ASSET_STATUSES.items()), status_labels=ASSET_STATUSES,
            attack_choices=list(attack.catalogue().techniques.values()),
            tactics=list(attack.catalogue().tactics.values()),
            obs_form=forms.get("obs") or blank_form("obs", tlp=DEFAULT_TLP),
            asset_form=forms.get("asset") or blank_form("asset", status="tbd"),
            tech_form=forms.get("tech") or blank_form("tech"),
            row_forms=forms,
            sites=places, site_names=dict(places),
            identity_trails=incident_trails(uow, incident.id),
        )  # fmt: skip


def _act(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    incident_id: str,
    command: Callable[[UnitOfWork], object],
    *,
    prefix: str,
    fields: Mapping[str, str],
    saved: str,
) -> Response:
    """Run ``command``; back to the page with a notice, or the page with the form's
    errors and nothing changed."""
    try:
        with ctx.db.unit_of_work() as uow:
            command(uow)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix=prefix)
        return _page(request, caller, ctx, incident_id, forms={prefix: form},
                     status_code=exc.status)  # fmt: skip
    return see_other(PAGE.format(incident_id=incident_id) + f"?saved={saved}")


@router.get(PAGE)
def page(
    request: Request,
    incident_id: str,
    saved: str | None = None,
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> Response:
    return _page(request, caller, ctx, incident_id, notice=SAVED.get(saved or ""))


@router.post(PAGE + "/observables")
def add_observable(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = CTX,
) -> Response:
    def command(uow: UnitOfWork) -> None:
        data: dict[str, Any] = {
            "kind": fields.get("kind", ""), "value": fields.get("value", ""),
            "tlp": fields.get("tlp") or DEFAULT_TLP, "ioc": "ioc" in fields,
            "sighted": "sighted" in fields, "tags": split_list(fields.get("tags", "")),
            "description": fields.get("description", ""),
        }  # fmt: skip
        observables.do_add_observable(uow, caller.actor, incident_id,
                                      parse_form(ObservableIn, data))  # fmt: skip

    return _act(request, caller, ctx, incident_id, command, prefix="obs", fields=fields,
                saved="observable")  # fmt: skip


@router.post(PAGE + "/observables/{observable_id}")
def change_observable(
    request: Request,
    incident_id: str,
    observable_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = CTX,
) -> Response:
    """The row's form: TLP, IOC, sighted and tags (unticked boxes are no)."""

    def command(uow: UnitOfWork) -> None:
        data = {"tlp": fields.get("tlp") or None, "ioc": "ioc" in fields,
                "sighted": "sighted" in fields, "tags": split_list(fields.get("tags", ""))}  # fmt: skip
        observables.do_update_observable(uow, caller.actor, incident_id, observable_id,
                                         parse_form(ObservableUpdate, data))  # fmt: skip

    return _act(request, caller, ctx, incident_id, command, prefix=f"o-{observable_id}",
                fields=fields, saved="changed")  # fmt: skip


@router.post(PAGE + "/observables/{observable_id}/remove")
def remove_observable(
    request: Request,
    incident_id: str,
    observable_id: str,
    caller: Caller = RESPONDER,
    ctx: AppContext = CTX,
) -> Response:
    def command(uow: UnitOfWork) -> None:
        observables.do_remove_observable(uow, caller.actor, incident_id, observable_id)

    return _act(request, caller, ctx, incident_id, command, prefix="obs", fields={},
                saved="removed")  # fmt: skip


@router.post(PAGE + "/assets")
def add_asset(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = CTX,
) -> Response:
    def command(uow: UnitOfWork) -> None:
        data: dict[str, str | None] = {
            k: fields.get(k, "") for k in ("kind", "name", "identifier", "status", "notes")
        }
        data["site_id"] = fields.get("site_id") or None  # the site picker's blank: none
        assets.do_add_asset(uow, caller.actor, incident_id, parse_form(AssetIn, data))

    return _act(request, caller, ctx, incident_id, command, prefix="asset", fields=fields,
                saved="asset")  # fmt: skip


@router.post(PAGE + "/assets/{asset_id}/status")
def set_asset_status(
    request: Request,
    incident_id: str,
    asset_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = CTX,
) -> Response:
    def command(uow: UnitOfWork) -> None:
        data = {"status": fields.get("status", ""), "note": fields.get("note", "")}
        assets.do_set_asset_status(uow, caller.actor, incident_id, asset_id,
                                   parse_form(AssetStatusIn, data))  # fmt: skip

    return _act(request, caller, ctx, incident_id, command, prefix=f"a-{asset_id}",
                fields=fields, saved="status")  # fmt: skip


@router.post(PAGE + "/techniques")
def add_technique(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = CTX,
) -> Response:
    def command(uow: UnitOfWork) -> None:
        data: dict[str, Any] = {
            "technique_id": fields.get("technique_id", ""),
            "tactic": fields.get("tactic") or None, "note": fields.get("note", ""),
        }  # fmt: skip
        observed = parse_local(fields.get("observed_at", ""), caller, field="observed_at")
        if observed is not None:
            data["observed_at"] = observed
        techniques.do_add_technique(uow, caller.actor, incident_id,
                                    parse_form(TechniqueIn, data))  # fmt: skip

    return _act(request, caller, ctx, incident_id, command, prefix="tech", fields=fields,
                saved="technique")  # fmt: skip


@router.post(PAGE + "/techniques/{row_id}/remove")
def remove_technique(
    request: Request,
    incident_id: str,
    row_id: str,
    caller: Caller = RESPONDER,
    ctx: AppContext = CTX,
) -> Response:
    def command(uow: UnitOfWork) -> None:
        techniques.do_remove_technique(uow, caller.actor, incident_id, row_id)

    return _act(request, caller, ctx, incident_id, command, prefix="tech", fields={},
                saved="untechnique")  # fmt: skip
