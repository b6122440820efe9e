"""/observables?value=: where else a value was seen — every observable with it on an
incident the viewer may see, newest first (hidden incidents never show)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.incidents.lifecycle import STATUS_LABELS
from muster.domain.investigation.kinds import KIND_LABELS, KINDS
from muster.domain.investigation.observables import search_observables
from muster.domain.investigation.schemas import SightingOut
from muster.errors import InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)


@router.get("/observables")
def search_page(
    request: Request,
    value: str = "",
    kind: str = "",
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    form: FormState = blank_form("q", value=value, kind=kind)
    found: list[SightingOut] = []
    status_code = 200
    if value.strip():
        try:
            if kind and kind not in KINDS:
                kind = ""
            with ctx.db.unit_of_work(readonly=True) as uow:
                found = list(search_observables(uow, caller.actor, value, kind or None).items)
        except InvalidInput as exc:
            form = failed_form({"value": value, "kind": kind}, exc, prefix="q")
            status_code = exc.status
    return render(
        request, "observables_search.html", caller, status_code=status_code, form=form,
        found=found, searched=bool(value.strip()), kinds=[(k, KIND_LABELS[k]) for k in KINDS],
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
    )  # fmt: skip
