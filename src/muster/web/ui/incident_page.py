"""One incident's page (live over SSE): header with severity, status, roles and elapsed
time per phase; status buttons, roles, participants, tasks, timeline, linked alerts and
updates; composers beside them. Action handlers re-render it with a failed form."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Role
from muster.domain.incidents.lifecycle import STATUS_LABELS, allowed_next, phase_spans
from muster.domain.incidents.links import linked_groups
from muster.domain.incidents.models import Incident, IncidentType, SeverityLevel
from muster.domain.incidents.participants import active_participants
from muster.domain.incidents.roles import current_roles, needs_commander, role_history, role_types
from muster.domain.incidents.service import find_incident, reference
from muster.domain.incidents.visibility import is_participant, sees_all_restricted
from muster.domain.sites.where import incident_places
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.live import live_context
from muster.web.ui.forms import FormState, blank_form, failed_form, see_other
from muster.web.ui.incident_choices import people_choices, person_options, schedule_choices
from muster.web.ui.incident_sections import work_context
from muster.web.ui.incident_stakeholder_view import stakeholder_context
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)


class Forms(dict[str, FormState]):
    """The page's forms by prefix; one not given is blank."""

    def __missing__(self, key: str) -> FormState:
        return blank_form(key)


@router.get("/incidents/{ref}")
def show_incident(
    request: Request,
    ref: str,
    before: int | None = Query(None, ge=0),
    caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident = find_incident(uow, caller.actor, ref[:40])
        if ref != incident.id:
            return see_other(f"/incidents/{incident.id}")
        return incident_page(request, caller, uow, ctx, incident, before=before)


def incident_page(
    request: Request,
    caller: Caller,
    uow: UnitOfWork,
    ctx: AppContext,
    incident: Incident,
    *,
    forms: Mapping[str, FormState] | None = None,
    status_code: int = 200,
    before: int | None = None,
) -> Response:
    """The page, rendered inside ``uow`` (failed ``forms`` show their errors)."""
    now = uow.now
    level = uow.session.get(SeverityLevel, incident.severity)
    kind = uow.session.scalar(select(IncidentType).where(IncidentType.key == incident.type_key))
    held = {a.role_type.key: a for a in current_roles(uow, incident.id)}
    service_ids = [s.service_id for s in incident.services]
    services = uow.session.execute(
        select(Service.id, Service.name).where(Service.id.in_(service_ids))
    ).all()
    participants = active_participants(uow, incident.id)
    groups = linked_groups(uow, incident.id)
    can_act = caller.actor.role >= Role.RESPONDER
    merged_into = (
        uow.session.get(Incident, incident.merged_into_id) if incident.merged_into_id else None
    )
    return render(
        request,
        "incidents_show.html",
        caller,
        status_code=status_code,
        region="_incident_region.html",
        incident=incident,
        ref=reference(incident),
        level=level,
        kind=kind,
        status_label=STATUS_LABELS.get(incident.status, incident.status),
        next_statuses=[(s, STATUS_LABELS[s]) for s in allowed_next(incident.status)],
        needs_commander=needs_commander(uow, incident),
        spans=[
            (STATUS_LABELS[s.phase], s.started_at, s.ended_at, s.seconds(now))
            for s in phase_spans(incident)
        ],
        roles=[(t, held.get(t.key)) for t in role_types(uow)],
        holders=list(held.values()),
        history=role_history(uow, incident.id),
        participants=participants,
        participating=is_participant(uow, incident.id, caller.actor.id),
        services=[(r.id, r.name) for r in services],
        places=incident_places(uow, incident),
        groups=groups,
        groups_choices=[(g.id, g.summary[:100]) for g in groups],
        merged_into=merged_into,
        people=people_choices(uow) if can_act else [],
        people_options=person_options(uow) if can_act else [],
        schedules=schedule_choices(uow) if can_act else [],
        can_act=can_act,
        can_manage=caller.actor.role >= Role.MANAGER,
        can_restrict=caller.actor.role >= Role.MANAGER or sees_all_restricted(uow, caller.actor),
        forms=Forms(forms or {}),
        now=now,
        **work_context(uow, caller, incident, before),
        **stakeholder_context(uow, caller, incident),
        **live_context(uow, f"incident:{incident.id}"),
    )


def run_action(
    request: Request,
    caller: Caller,
    ctx: AppContext,
    incident_id: str,
    command: Callable[[UnitOfWork], object],
    *,
    prefix: str,
    fields: Mapping[str, str] | None = None,
    anchor: str = "",
    renames: Mapping[str, str] | None = None,
) -> Response:
    """Run ``command`` in a unit of work and go back to the incident (at ``#anchor``); on
    bad input, show the page again with the ``prefix`` form's errors and nothing changed
    (``command`` may parse the form: its errors are shown the same way)."""
    try:
        with ctx.db.unit_of_work() as uow:
            command(uow)
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields or {}, exc, prefix=prefix, renames=renames)
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = find_incident(uow, caller.actor, incident_id)
            return incident_page(
                request, caller, uow, ctx, incident, forms={prefix: form}, status_code=exc.status
            )
    return see_other(f"/incidents/{incident_id}" + (f"#{anchor}" if anchor else ""))
