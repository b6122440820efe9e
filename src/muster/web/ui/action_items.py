"""Action items in the UI: an incident's list (the partial ``_review_action_items.html``,
shown on ``/incidents/{id}/action-items`` and on the review tab through
:func:`action_items_context`), and ``/action-items``: every open item by team and age,
with filters and a CSV export.

Plain form posts (Post/Redirect/Get); bad input shows the incident's page again with
the form's errors and changes nothing. Viewers read; responders act."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.events.actor import Role
from muster.domain.incidents.exports import neutralise
from muster.domain.incidents.models import Incident
from muster.domain.incidents.service import reference
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.reviews import action_views, actions
from muster.domain.reviews.action_schemas import (
    KINDS,
    PRIORITIES,
    PRIORITY_LABELS,
    STATUS_LABELS,
    STATUSES,
    ActionItemIn,
    ActionItemUpdate,
)
from muster.errors import Conflict, InvalidInput
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.ui.forms import FormState, blank_form, failed_form, parse_form, posted, see_other
from muster.web.ui.incident_choices import person_id, person_options
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
PAGE = "/incidents/{incident_id}/action-items"
VIEWER = Depends(ui_caller())
RESPONDER = Depends(ui_caller(Role.RESPONDER))
CTX = Depends(app_context)
SAVED = {"added": "Action item added.", "changed": "Action item changed."}


def _teams(uow: UnitOfWork) -> list[tuple[str, str]]:
    rows = uow.session.execute(
        select(Team.id, Team.name).where(Team.archived_at.is_(None)).order_by(func.lower(Team.name))
    ).all()
    return [(r.id, r.name) for r in rows]


def action_items_context(
    uow: UnitOfWork, caller: Caller, incident: Incident, *,
    forms: dict[str, FormState] | None = None, back: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What ``_review_action_items.html`` needs (keys start with ``ai_``); ``back`` is
    where its forms return to (default: the incident's action-items page)."""
    forms = forms or {}
    f = action_views.ActionItemFilter(incident_id=incident.id)
    page = action_views.list_action_items(uow, caller.actor, f, limit=500)
    can_act = caller.actor.role >= Role.RESPONDER
    return {
        "ai_incident_id": incident.id,
        "ai_items": action_views.items_out(uow, page.items),
        "ai_can_act": can_act,
        "ai_form": forms.get("ai") or blank_form("ai", priority="P3", kind="prevent"),
        "ai_row_forms": {k: v for k, v in forms.items() if k != "ai"},
        "ai_kinds": [(k, k.capitalize()) for k in KINDS],
        "ai_priorities": list(PRIORITY_LABELS.items()),
        "ai_statuses": [(s, STATUS_LABELS[s]) for s in STATUSES],
        "ai_status_labels": STATUS_LABELS,
        "ai_teams": _teams(uow),
        "people_options": person_options(uow) if can_act else [],
        "ai_back": back or PAGE.format(incident_id=incident.id),
    }


def _back(fields: dict[str, str], incident_id: str) -> str:
    """Where to return: the posted ``back`` if it is one of the incident's own pages."""
    back = fields.get("back", "")
    if back.startswith(f"/incidents/{incident_id}/") and "//" not in back:
        return back.split("?", 1)[0]
    return PAGE.format(incident_id=incident_id)


def _page(
    request: Request, caller: Caller, ctx: AppContext, incident_id: str, *,
    forms: dict[str, FormState] | None = None, notice: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident = get_visible_incident(uow, caller.actor, incident_id)
        return render(
            request, "incident_action_items.html", caller, status_code=status_code,
            incident=incident, ref=reference(incident), notice=notice,
            **action_items_context(uow, caller, incident, forms=forms),
        )  # fmt: skip


@router.get(PAGE)
def page(
    request: Request,
    incident_id: str,
    saved: str | None = None,
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> Response:
    return _page(request, caller, ctx, incident_id, notice=SAVED.get(saved or ""))


def _optional(fields: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    return {n: (fields.get(n, "").strip() or None) for n in names if n in fields}


@router.post(PAGE)
def add(
    request: Request,
    incident_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = CTX,
) -> Response:
    try:
        with ctx.db.unit_of_work() as uow:
            data: dict[str, Any] = {
                "title": fields.get("title", ""), "description": fields.get("description", ""),
                "kind": fields.get("kind", ""), "priority": fields.get("priority") or "P3",
                **_optional(fields, ("team_id", "due_on", "tracker_url", "tracker_key")),
            }  # fmt: skip
            if fields.get("owner", "").strip():
                data["owner_id"] = person_id(uow, fields["owner"])
            actions.do_create_action_item(
                uow, caller.actor, incident_id, parse_form(ActionItemIn, data)
            )
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix="ai", renames={"owner_id": "owner"})
        return _page(request, caller, ctx, incident_id, forms={"ai": form}, status_code=exc.status)
    return see_other(_back(fields, incident_id) + "?saved=added#action-items")


@router.post("/action-items/{item_id}")
def change(
    request: Request,
    item_id: str,
    caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted),
    ctx: AppContext = CTX,
) -> Response:
    """A row's form: any of status, owner (email or id; blank clears), due day, priority,
    team, tracker link and key, won't-do reason. Fields not posted stay as they are."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident_id = actions.get_action_item(uow, caller.actor, item_id).incident_id
    try:
        with ctx.db.unit_of_work() as uow:
            data: dict[str, Any] = {
                k: fields[k] for k in ("status", "priority", "kind") if fields.get(k)
            }
            data |= _optional(fields, ("team_id", "due_on", "tracker_url", "tracker_key"))
            if fields.get("wont_do_reason", "").strip():
                data["wont_do_reason"] = fields["wont_do_reason"]
            if "owner" in fields:
                owner = fields["owner"].strip()
                data["owner_id"] = person_id(uow, owner) if owner else None
            actions.do_update_action_item(
                uow, caller.actor, item_id, parse_form(ActionItemUpdate, data)
            )
            uow.commit()
    except (InvalidInput, Conflict) as exc:
        form = failed_form(fields, exc, prefix=f"ai-{item_id}", renames={"owner_id": "owner"})
        return _page(request, caller, ctx, incident_id, forms={f"ai-{item_id}": form},
                     status_code=exc.status)  # fmt: skip
    return see_other(_back(fields, incident_id) + f"?saved=changed#ai-{item_id}")


# ---------------------------------------------------------------- across incidents


def _filter(params: dict[str, str]) -> action_views.ActionItemFilter:
    status = params.get("status") or ""
    return action_views.ActionItemFilter(
        team_id=params.get("team_id") if "team_id" in params and params["team_id"] != "*" else None,
        owner_id=params.get("owner_id") or None,
        status=[status] if status in STATUSES else [],
        open_only=status in ("", "open_all"),
        overdue=params.get("overdue") == "1", age=params.get("age") or None,
        kind=params.get("kind") or None, priority=params.get("priority") or None,
    )  # fmt: skip


@router.get("/action-items")
def board(
    request: Request,
    caller: Caller = VIEWER,
    ctx: AppContext = CTX,
) -> Response:
    params = dict(request.query_params)
    params.setdefault("team_id", "*")
    f = _filter(params)
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = action_views.list_action_items(uow, caller.actor, f, limit=500)
        summary_filter = action_views.ActionItemFilter(kind=f.kind, priority=f.priority)
        return render(
            request, "action_items.html", caller,
            by_team=action_views.open_by_team_and_age(uow, caller.actor, summary_filter),
            buckets=action_views.AGE_BUCKETS, items=action_views.items_out(uow, page.items),
            more=page.next_cursor is not None, params=params, teams=_teams(uow),
            statuses=[("open_all", "Open or in progress"), *[(s, STATUS_LABELS[s]) for s in STATUSES], ("any", "Any status")],
            kinds=KINDS, priorities=PRIORITIES, status_labels=STATUS_LABELS,
            csv_query=str(request.url.query),
        )  # fmt: skip


CSV_COLUMNS = ("key", "incident_ref", "title", "kind", "priority", "status", "owner_name",
               "team_name", "due_on", "overdue", "age_days", "created_at", "done_at",
               "wont_do_reason", "tracker_key", "tracker_url")  # fmt: skip


@router.get("/action-items.csv")
def board_csv(request: Request, caller: Caller = VIEWER, ctx: AppContext = CTX) -> Response:
    """The board's list as CSV (same filters; at most 10,000 rows)."""
    params = dict(request.query_params)
    params.setdefault("team_id", "*")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = action_views.list_action_items(uow, caller.actor, _filter(params), limit=500)
        rows = list(page.items)
        while page.next_cursor and len(rows) < 10_000:
            page = action_views.list_action_items(
                uow, caller.actor, _filter(params), cursor=page.next_cursor, limit=500
            )
            rows.extend(page.items)
        for item in action_views.items_out(uow, rows):
            values = item.model_dump()
            writer.writerow(
                [neutralise("" if values[c] is None else str(values[c])) for c in CSV_COLUMNS]
            )
    return Response(
        out.getvalue(), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="action-items.csv"'},
    )  # fmt: skip
