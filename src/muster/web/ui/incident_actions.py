"""The incident page's buttons and small forms: status, details, roles, participants,
linked alerts, merge and split. Plain form posts (responders) that work without
JavaScript; bad input shows the page again with the form's errors, and changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.incidents import merge, participants, roles
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.models import Incident
from muster.domain.incidents.schemas import IncidentUpdate, TimestampCorrection, TransitionIn
from muster.domain.incidents.service import do_update_incident, find_incident
from muster.domain.incidents.transitions import do_correct_timestamp, do_transition
from muster.errors import Conflict, FieldError, InvalidInput, NotFound
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import (
    FormState,
    blank_form,
    failed_form,
    parse_form,
    posted,
    posted_lists,
    see_other,
)
from muster.web.ui.incident_choices import parse_local, person_id, split_list
from muster.web.ui.incident_page import run_action
from muster.web.ui.incidents import form_page

router = APIRouter(include_in_schema=False)
BASE = "/incidents/{incident_id}"
RESPONDER = Depends(ui_caller(Role.RESPONDER))


@router.post(BASE + "/status")
def change_status(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    def command(uow: UnitOfWork) -> None:
        data = parse_form(
            TransitionIn, {"status": fields.get("status", ""), "note": fields.get("note", "")}
        )
        do_transition(uow, caller.actor, incident_id, data.status, note=data.note)

    return run_action(
        request, caller, ctx, incident_id, command, prefix="status", fields=fields, anchor="status"
    )


@router.get(BASE + "/edit")
def edit_page(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident = find_incident(uow, caller.actor, incident_id)
        form = edit_values(incident)
        selected = [s.service_id for s in incident.services]
        return form_page(request, caller, uow, form, selected, [], editing=incident)


def edit_values(incident: Incident) -> FormState:
    """The edit form filled in with the incident's details."""
    return blank_form(
        title=incident.title, summary=incident.summary, type=incident.type_key,
        severity=str(incident.severity), impact=incident.impact,
        customer_facing="1" if incident.customer_facing else "",
        sites=", ".join(incident.sites), tags=", ".join(incident.tags),
        restricted="yes" if incident.restricted else "no", site_id=incident.site_id or "",
    )  # fmt: skip


def update_input(form: dict[str, list[str]]) -> IncidentUpdate:
    one = {k: v[0] for k, v in form.items() if v}
    data: dict[str, Any] = {
        "title": one.get("title", ""),
        "summary": one.get("summary", ""),
        "type": one.get("type", ""),
        "severity": one.get("severity", ""),
        "impact": one.get("impact", ""),
        "customer_facing": "customer_facing" in one,
        "service_ids": [s for s in form.get("service_ids", []) if s],
        "sites": split_list(one.get("sites", "")),
        "tags": split_list(one.get("tags", "")),
    }
    if one.get("restricted") in ("yes", "no"):
        data["restricted"] = one["restricted"] == "yes"
    if "site_id" in form:  # the site picker (shown when sites exist): blank clears it
        data["site_id"] = one.get("site_id") or None
    return parse_form(IncidentUpdate, data)


@router.post(BASE + "/edit")
def edit(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    form: dict[str, list[str]] = Depends(posted_lists),
    ctx: AppContext = Depends(app_context),
) -> Response:
    try:
        data = update_input(form)
        with ctx.db.unit_of_work() as uow:
            do_update_incident(uow, caller.actor, incident_id, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        values = {k: v[0] for k, v in form.items() if v}
        failed = failed_form(values, exc, renames={"service_ids": "service_ids"})
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = find_incident(uow, caller.actor, incident_id)
            return form_page(
                request, caller, uow, failed, form.get("service_ids", []), [],
                editing=incident, status_code=exc.status,
            )  # fmt: skip
    return see_other(f"/incidents/{incident_id}")


@router.post(BASE + "/times")
def correct_time(
    request: Request,
    incident_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    """Correct when a phase was entered (or the problem detected), with a reason."""
    try:
        at = parse_local(fields.get("at", ""), caller, field="at")
        data = parse_form(
            TimestampCorrection,
            {"field": fields.get("field", ""), "at": at, "reason": fields.get("reason", "")},
        )
        with ctx.db.unit_of_work() as uow:
            do_correct_timestamp(uow, caller.actor, incident_id, data)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        failed = failed_form(fields, exc, prefix="times")
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = find_incident(uow, caller.actor, incident_id)
            selected = [s.service_id for s in incident.services]
            return form_page(
                request, caller, uow, edit_values(incident), selected, [], editing=incident,
                times_form=failed,
                status_code=exc.status,
            )  # fmt: skip
    return see_other(f"/incidents/{incident_id}#status")


@router.post(BASE + "/roles/assign")
def assign_role(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    role, user_id = fields.get("role", "")[:40], fields.get("user_id", "")

    def command(uow: UnitOfWork) -> None:
        if not user_id:
            raise InvalidInput("choose a person", errors=[FieldError("user_id", "required")])
        roles.do_assign_role(uow, caller.actor, incident_id, role, person_id(uow, user_id))

    return run_action(
        request, caller, ctx, incident_id, command, prefix=f"role-{role}", fields=fields,
        anchor=f"role-{role}",
    )  # fmt: skip


@router.post(BASE + "/roles/relinquish")
def relinquish_role(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    role = fields.get("role", "")[:40]
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: roles.do_relinquish_role(uow, caller.actor, incident_id, role),
        prefix=f"role-{role}", fields=fields, anchor=f"role-{role}",
    )  # fmt: skip


@router.post(BASE + "/roles/from-schedule")
def role_from_schedule(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    role, schedule_id = fields.get("role", "")[:40], fields.get("schedule_id", "")

    def command(uow: UnitOfWork) -> None:
        if not schedule_id:
            raise InvalidInput("choose a schedule", errors=[FieldError("schedule_id", "required")])
        roles.do_assign_role_from_schedule(uow, caller.actor, incident_id, role, schedule_id)

    return run_action(
        request, caller, ctx, incident_id, command, prefix="schedule", fields=fields,
        anchor="roles",
    )  # fmt: skip


@router.post(BASE + "/participants/join")
def join(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: participants.do_join(uow, caller.actor, incident_id),
        prefix="part", anchor="participants",
    )  # fmt: skip


@router.post(BASE + "/participants/leave")
def leave(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> Response:
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: participants.do_leave(uow, caller.actor, incident_id),
        prefix="part", anchor="participants",
    )  # fmt: skip


@router.post(BASE + "/participants/add")
def add_participant(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    user_id, page = fields.get("user_id", ""), "page" in fields

    def command(uow: UnitOfWork) -> None:
        if not user_id:
            raise InvalidInput("choose a person", errors=[FieldError("user_id", "required")])
        who = person_id(uow, user_id)
        participants.do_add_participant(uow, caller.actor, incident_id, who, page=page)

    return run_action(
        request, caller, ctx, incident_id, command, prefix="part", fields=fields,
        anchor="participants",
    )  # fmt: skip


@router.post(BASE + "/participants/remove")
def remove_participant(
    request: Request,
    incident_id: str,
    caller: Caller = Depends(ui_caller(Role.MANAGER)),
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    user_id = fields.get("user_id", "")
    return run_action(
        request, caller, ctx, incident_id,
        lambda uow: participants.do_leave(uow, caller.actor, incident_id, user_id or None),
        prefix="part", fields=fields, anchor="participants",
    )  # fmt: skip


def group_id_of(text: str) -> str:
    """An alert group's id from its id or its page's address (…/alert-groups/<id>)."""
    return text.strip().rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0].split("#", 1)[0][:36]


@router.post(BASE + "/links")
def link_alerts(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    group_id = group_id_of(fields.get("group", ""))

    def command(uow: UnitOfWork) -> None:
        if not group_id:
            raise InvalidInput("name an alert group", errors=[FieldError("group", "required")])
        do_link_alert_groups(uow, caller.actor, incident_id, [group_id])

    return run_action(
        request, caller, ctx, incident_id, command, prefix="alerts", fields=fields,
        anchor="alerts", renames={"group_ids": "group"},
    )  # fmt: skip


@router.post(BASE + "/merge")
def merge_into(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    target_ref = fields.get("target", "").strip()[:40]
    made: list[str] = []

    def command(uow: UnitOfWork) -> None:
        if not target_ref:
            raise InvalidInput("name the surviving incident", errors=[FieldError("target", "required")])  # fmt: skip
        try:
            target = find_incident(uow, caller.actor, target_ref)
        except NotFound:
            raise InvalidInput(
                "no such incident", errors=[FieldError("target", f"no incident {target_ref!r}")]
            ) from None
        made.append(merge.do_merge(uow, caller.actor, incident_id, target.id).id)

    renames = {"target_id": "target", "source_id": "target", "incident_id": "target"}
    response = run_action(
        request, caller, ctx, incident_id, command, prefix="merge", fields=fields,
        anchor="compose-links", renames=renames,
    )  # fmt: skip
    return see_other(f"/incidents/{made[0]}") if made and response.status_code == 303 else response


@router.post(BASE + "/split")
def split_off(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> Response:
    group_id, title = fields.get("group_id", "")[:36], fields.get("title", "")
    made: list[str] = []

    def command(uow: UnitOfWork) -> None:
        if not group_id:
            raise InvalidInput("choose an alert group", errors=[FieldError("group_id", "required")])  # fmt: skip
        made.append(merge.do_split(uow, caller.actor, incident_id, group_id, title).id)

    response = run_action(
        request, caller, ctx, incident_id, command, prefix="split", fields=fields,
        anchor="compose-links",
    )  # fmt: skip
    return see_other(f"/incidents/{made[0]}") if made and response.status_code == 303 else response
