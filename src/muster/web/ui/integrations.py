"""Integrations: adding one to a service, its own page, new keys and revoking, and the
mapping editor of generic JSON integrations (test against a sample without saving)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.alerts import integrations as svc
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate, IntegrationUpdate
from muster.domain.events.actor import Role
from muster.errors import FieldError, InvalidInput
from muster.integrations.generic import GenericMapping, Preview, preview
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, parse_form, posted, see_other
from muster.web.ui.integration_config import (
    FORM_TYPES,
    RENAMES,
    config_from_form,
    connection_of,
    form_context,
    form_values,
)  # fmt: skip
from muster.web.ui.mapping_form import (
    MAPPING_FIELDS,
    form_to_mapping,
    mapping_errors,
    mapping_to_form,
)
from muster.web.ui.render import render
from muster.web.ui.service_page import INTEGRATION_TYPES, service_page

router = APIRouter(include_in_schema=False)

DEFAULT_MAPPING = {
    "summary": ["$.summary", "$.title", "$.message", "literal:Alert from a webhook"],
    "severity": "$.severity",
    "dedup_key": ["$.dedup_key", "$.id"],
    "action": "$.status",
    "source": "$.source",
    "details": "$.description",
}
CONFIG_RENAMES = {
    "config.interval_seconds": "interval_seconds",
    "config.grace_seconds": "grace_seconds",
    "config.resolve_if_subject_contains": "resolve_words",
    **RENAMES,
}
SAVED = {
    "settings": "The integration was saved.",
    "mapping": "The mapping was saved: new payloads are read with it.",
    "key": "A new key was made: the old URL or key no longer works.",
    "revoked": "The integration was revoked: its key no longer works.",
}


def _config(type: str, fields: dict[str, str]) -> dict[str, Any]:
    """The type's configuration from the form's plain fields."""
    built = config_from_form(type, fields)
    if built is not None:
        return built
    if type == "heartbeat":
        config: dict[str, Any] = {}
        problems = []
        for name, default in (("interval_seconds", 300), ("grace_seconds", 60)):
            text = fields.get(name, "").strip()
            if not text:
                config[name] = default
            elif text.isdigit():
                config[name] = int(text)
            else:
                problems.append(FieldError(name, "whole seconds"))
        if problems:
            raise InvalidInput("please correct the marked fields", errors=problems)
        return config
    if type == "email":
        words = [w.strip() for w in fields.get("resolve_words", "").split(",") if w.strip()]
        return {"resolve_if_subject_contains": words or ["RESOLVED", "[OK]"]}
    if type == "generic":
        return {"mapping": DEFAULT_MAPPING}
    return {}


@router.post("/services/{service_id}/integrations")
def add_integration(
    request: Request,
    service_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    type_ = fields.get("type", "")
    try:
        data = parse_form(
            IntegrationCreate,
            {
                "type": type_,
                "name": fields.get("name", "").strip() or None,
                "config": _config(type_, fields),
            },
        )
        with ctx.db.unit_of_work() as uow:
            integration = svc.do_create_integration(uow, caller.actor, service_id, data)
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="i", renames=CONFIG_RENAMES)
        with ctx.db.unit_of_work(readonly=True) as uow:
            return service_page(
                request, caller, uow, ctx, service_id, integration_form=form, status_code=exc.status
            )
    if integration.type == "generic":
        return see_other(f"/integrations/{integration.id}#mapping")
    return see_other(f"/services/{service_id}?saved=integration#integration-{integration.id}")


@router.get("/integrations/{integration_id}")
def show_integration(
    request: Request,
    integration_id: str,
    saved: str | None = Query(None, max_length=20),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return _page(request, caller, uow, ctx, integration_id, notice=SAVED.get(saved or ""))


def _settings_values(integration: Integration) -> FormState:
    config = integration.config or {}
    rate = integration.rate_limit_per_minute
    return blank_form(
        "s",
        name=integration.name,
        rate_limit_per_minute="" if rate is None else str(rate),
        interval_seconds=str(config.get("interval_seconds", "")),
        grace_seconds=str(config.get("grace_seconds", "")),
        resolve_words=", ".join(config.get("resolve_if_subject_contains") or []),
        **form_values(integration.type, config),
    )


def _page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    ctx: AppContext,
    integration_id: str,
    *,
    settings_form: FormState | None = None,
    mapping_form: FormState | None = None,
    result: Preview | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    integration = svc.get_integration(uow, integration_id)
    if mapping_form is None and integration.type == "generic":
        mapping_form = blank_form("map", **mapping_to_form(integration.config.get("mapping")))
    response = render(
        request,
        "integrations_show.html",
        caller,
        status_code=status_code,
        integration=integration,
        service=integration.service,
        url=svc.integration_url(integration, ctx.settings.base_url, ctx.settings.email_domain),
        type_name=dict(INTEGRATION_TYPES).get(integration.type, integration.type),
        can_manage=caller.actor.role >= Role.MANAGER,
        settings_form=settings_form or _settings_values(integration),
        mapping_form=mapping_form,
        mapping_fields=MAPPING_FIELDS,
        result=result,
        failed=next((f for f in (settings_form, mapping_form) if f and f.problem), None),
        notice=notice,
        config_types=FORM_TYPES,
        config_ctx=form_context(uow),
        connection=connection_of(uow, integration.id, integration.type),
    )
    response.headers["Cache-Control"] = "no-store"  # the page shows the key
    return response


@router.post("/integrations/{integration_id}/edit")
def edit_integration(
    request: Request,
    integration_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        with ctx.db.unit_of_work() as uow:
            integration = svc.get_integration(uow, integration_id)
            values: dict[str, Any] = {
                "name": fields.get("name", ""),
                "rate_limit_per_minute": fields.get("rate_limit_per_minute", "").strip() or None,
            }
            if integration.type in ("heartbeat", "email"):
                values["config"] = {**integration.config, **_config(integration.type, fields)}
            elif integration.type in FORM_TYPES:
                values["config"] = config_from_form(integration.type, fields, integration.config)
            data = parse_form(IntegrationUpdate, values)
            svc.do_update_integration(uow, caller.actor, integration_id, data)
            uow.commit()
    except InvalidInput as exc:
        form = failed_form(fields, exc, prefix="s", renames=CONFIG_RENAMES)
        with ctx.db.unit_of_work(readonly=True) as uow:
            return _page(
                request,
                caller,
                uow,
                ctx,
                integration_id,
                settings_form=form,
                status_code=exc.status,
            )
    return see_other(f"/integrations/{integration_id}?saved=settings")


@router.post("/integrations/{integration_id}/mapping")
def mapping_action(
    request: Request,
    integration_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """``op=test`` tries the mapping on the sample and changes nothing; ``op=save``
    validates and stores it."""
    op: Literal["test", "save"] = "save" if fields.get("op") == "save" else "test"
    try:
        mapping = form_to_mapping(fields)
        parsed = GenericMapping.from_dict(mapping)  # names each bad expression
        if op == "test":
            sample = fields.get("sample", "")
            if not sample.strip():
                raise InvalidInput(
                    "nothing to test",
                    errors=[FieldError("sample", "paste a sample payload to test the mapping")],
                )
            with ctx.db.unit_of_work(readonly=True) as uow:
                form = blank_form("map", **fields)
                result = preview(sample.encode(), parsed)
                return _page(
                    request, caller, uow, ctx, integration_id, mapping_form=form, result=result
                )
        with ctx.db.unit_of_work() as uow:
            integration = svc.get_integration(uow, integration_id)
            if integration.type != "generic":
                raise InvalidInput("not a generic integration")
            config = {**integration.config, "mapping": parsed.to_dict()}
            svc.do_update_integration(
                uow, caller.actor, integration_id, IntegrationUpdate(config=config)
            )
            uow.commit()
    except InvalidInput as exc:
        form = FormState(
            values=dict(fields), errors=mapping_errors(exc.errors), problem=exc.detail, prefix="map"
        )
        with ctx.db.unit_of_work(readonly=True) as uow:
            return _page(
                request, caller, uow, ctx, integration_id, mapping_form=form, status_code=exc.status
            )
    return see_other(f"/integrations/{integration_id}?saved=mapping#mapping")


@router.post("/integrations/{integration_id}/{action}")
def key_action(
    integration_id: str,
    action: Literal["regenerate", "revoke"],
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work() as uow:
        command = svc.do_regenerate_key if action == "regenerate" else svc.do_revoke_integration
        integration = command(uow, caller.actor, integration_id)
        service_id = integration.service_id
        uow.commit()
    saved = "key" if action == "regenerate" else "revoked"
    if fields.get("back") == "service":
        return see_other(f"/services/{service_id}?saved={saved}#integration-{integration_id}")
    return see_other(f"/integrations/{integration_id}?saved={saved}")
