"""/settings/regimes: the admin's catalogue of notification regimes (list, show, add,
edit, archive). The reports are edited as repeated rows of one form (see
:mod:`muster.web.ui.regime_form`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.domain.compliance import calendars, regimes
from muster.domain.compliance.regime_schemas import (
    KNOWN_FACTS,
    UNIT_LABELS,
    RegimeCreate,
    RegimeUpdate,
)
from muster.domain.config_code.marks import is_managed
from muster.domain.events.actor import Role
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, parse_form, posted, see_other, time_zones
from muster.web.ui.regime_form import regime_form, regime_input, regime_values, row_count
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
BASE = "/settings/regimes"
ADMIN = Depends(ui_caller(Role.ADMIN))


@router.get(BASE)
def regimes_page(
    request: Request, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = [regimes.regime_out(uow, r) for r in regimes.regimes(uow, include_archived=True)]
        return render(request, "regimes_list.html", caller, regimes=rows,
                      calendars=calendars.holiday_calendars(uow))  # fmt: skip


@router.get(BASE + "/new")
def new_regime_page(
    request: Request, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    return _form_page(request, caller, ctx, None, regime_form({"reports.0.time_zone": "UTC",
                      "reports.0.late_needs_reason": "1"}))  # fmt: skip


@router.post(BASE + "/new")
def create_regime(
    request: Request,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    data, values = regime_input(fields, new=True)
    try:
        with ctx.db.unit_of_work() as uow:
            row = regimes.do_create_regime(uow, caller.actor, parse_form(RegimeCreate, data))
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        return _form_page(request, caller, ctx, None, regime_form(values, exc), status_code=exc.status)  # fmt: skip
    return see_other(f"{BASE}/{row.id}")


@router.get(BASE + "/{regime_id}")
def regime_page(
    request: Request, regime_id: str, caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        regime = regimes.regime_out(uow, regimes.find_regime(uow, regime_id))
        return render(request, "regimes_show.html", caller, regime=regime, units=UNIT_LABELS)


@router.get(BASE + "/{regime_id}/edit")
def edit_regime_page(
    request: Request, regime_id: str, caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        regime = regimes.get_regime(uow, regime_id)
        values = regime_values(regime, regimes.reports_of(uow, regime.id))
    return _form_page(request, caller, ctx, regime_id, regime_form(values))


@router.post(BASE + "/{regime_id}/edit")
def edit_regime(
    request: Request,
    regime_id: str,
    caller: Caller = ADMIN,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    data, values = regime_input(fields, new=False)
    try:
        with ctx.db.unit_of_work() as uow:
            regimes.do_update_regime(uow, caller.actor, regime_id, parse_form(RegimeUpdate, data))
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = regime_form(values, exc)
        return _form_page(request, caller, ctx, regime_id, form, status_code=exc.status)
    return see_other(f"{BASE}/{regime_id}")


@router.post(BASE + "/{regime_id}/archive")
def archive_regime(
    regime_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        regimes.do_archive_regime(uow, caller.actor, regime_id)
        uow.commit()
    return see_other(f"{BASE}/{regime_id}")


@router.post(BASE + "/{regime_id}/restore")
def restore_regime(
    regime_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        regimes.do_restore_regime(uow, caller.actor, regime_id)
        uow.commit()
    return see_other(f"{BASE}/{regime_id}")


def _form_page(
    request: Request, caller: Caller, ctx: AppContext, regime_id: str | None, form: FormState,
    *, status_code: int = 200,
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        regime = regimes.get_regime(uow, regime_id) if regime_id else None
        calendar_keys = [(c.key, c.name) for c in calendars.holiday_calendars(uow)]
        managed = "regime" if regime and is_managed(uow, "regimes", regime.id) else ""
    return render(
        request, "regimes_form.html", caller, status_code=status_code, regime=regime,
        form=form, rows=row_count(form.values), facts=KNOWN_FACTS, units=UNIT_LABELS,
        calendars=calendar_keys, zones=time_zones(), managed=managed,
    )  # fmt: skip
