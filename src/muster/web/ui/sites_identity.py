"""Where was this identity between T1 and T2: a badge holder's, a face's or a plate's
sightings across doors and cameras, in time order (responders and up)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.domain.events.actor import Role
from muster.domain.sites.identity import identity_trail
from muster.errors import InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form
from muster.web.ui.incident_choices import local_input, parse_local
from muster.web.ui.render import render
from muster.web.ui.sites import site_choices

router = APIRouter(include_in_schema=False)
DEFAULT_SPAN = timedelta(hours=24)


@router.get("/sites/identities")
def identity_page(
    request: Request,
    identity: str = Query("", max_length=255),
    since: str = Query("", max_length=40),
    until: str = Query("", max_length=40),
    site_id: str = Query("", max_length=36),
    caller: Caller = Depends(ui_caller(Role.RESPONDER)),
    ctx: AppContext = Depends(app_context),
) -> Response:
    fields = {"identity": identity, "since": since, "until": until, "site_id": site_id}
    with ctx.db.unit_of_work(readonly=True) as uow:
        now = uow.now
        form: FormState = blank_form(
            "t", identity=identity, site_id=site_id,
            since=since or local_input(now - DEFAULT_SPAN, caller),
            until=until or local_input(now, caller),
        )  # fmt: skip
        sightings = None
        status_code = 200
        if identity.strip():
            try:
                start = parse_local(since, caller, field="since") or now - DEFAULT_SPAN
                end = parse_local(until, caller, field="until") or now
                sightings = identity_trail(uow, identity, start, end, site_id or None)
            except InvalidInput as exc:
                form, status_code = failed_form(fields, exc, prefix="t"), exc.status
        return render(
            request, "sites_identity.html", caller, status_code=status_code, form=form,
            sightings=sightings, identity=identity.strip(), sites=site_choices(uow),
        )  # fmt: skip
