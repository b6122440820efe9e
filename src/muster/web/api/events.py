"""/api/v1/events: the event log — one subject's history, or the whole audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from muster.db.pagination import decode_cursor, encode_cursor
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Role
from muster.domain.events.schemas import EventOut
from muster.domain.events.service import events_for, recent_events
from muster.domain.incidents.visibility import get_visible_incident
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(prefix="/events", tags=["events"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=ListOut[EventOut], summary="Events, newest first")
def list_events(
    subject_type: str | None = Query(None, max_length=40),
    subject_id: str | None = Query(None, max_length=36),
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = Depends(api_caller(Role.VIEWER)),
    ctx: AppContext = Depends(app_context),
) -> ListOut[EventOut]:
    """With ``subject_type`` and ``subject_id``: that subject's history (any viewer; not
    found when it belongs to a restricted incident the caller may not see — an incident,
    or anything whose events name one, such as an evidence item's custody log).
    Without: the whole audit log (admins only)."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        if subject_type and subject_id:
            if subject_type == "incident":  # a restricted incident's history stays hidden
                get_visible_incident(uow, caller.actor, subject_id)
            rows = events_for(uow, subject_type, subject_id, limit=limit)
            for incident_id in {
                str(e.data["incident_id"]) for e in rows if e.data.get("incident_id")
            }:
                get_visible_incident(uow, caller.actor, incident_id)
            return ListOut(items=[EventOut.model_validate(e) for e in rows])
        require(caller.actor, Role.ADMIN)
        before = int(decode_cursor(cursor)[0]) if cursor else None
        rows = recent_events(uow, limit=limit, before=before, subject_type=subject_type)
        next_cursor = encode_cursor([rows[-1].position, 0]) if len(rows) == limit else None
        return ListOut(items=[EventOut.model_validate(e) for e in rows], next_cursor=next_cursor)
