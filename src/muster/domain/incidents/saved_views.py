"""Saved views of the incident list: a named filter (the list's query string), kept for
oneself or shared with everyone. Only the owner (or an admin) deletes one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from pydantic import StringConstraints
from sqlalchemy import func, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.schemas import Strict
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.incidents.models import SavedView
from muster.errors import FieldError, InvalidInput, NotFound, PermissionDenied

# The list's filter parameters a view may keep (anything else in a query is dropped).
VIEW_PARAMS = ("status", "severity", "type", "service_id", "site", "holder", "q")
MAX_VIEWS = 100


class SavedViewIn(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    query: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    shared: bool = False


def clean_query(query: str) -> str:
    """The query string with only the list's filter parameters, in a stable order."""
    pairs = parse_qsl(query.lstrip("?"), keep_blank_values=False)
    kept = [(k, v) for name in VIEW_PARAMS for k, v in pairs if k == name and v.strip()]
    return urlencode(kept)


def list_views(uow: UnitOfWork, actor: Actor) -> Sequence[SavedView]:
    """The actor's own views and every shared one, by name."""
    return uow.session.scalars(
        select(SavedView)
        .where(or_(SavedView.user_id == (actor.id or ""), SavedView.shared.is_(True)))
        .order_by(func.lower(SavedView.name), SavedView.id)
        .limit(MAX_VIEWS)
    ).all()


def do_save_view(uow: UnitOfWork, actor: Actor, data: SavedViewIn) -> SavedView:
    """Save the list's current filters under a name.

    Preconditions: a person (not the system); the owner has fewer than MAX_VIEWS views."""
    if actor.id is None:
        raise InvalidInput("only a person can save a view")
    owned = uow.session.scalar(
        select(func.count()).select_from(SavedView).where(SavedView.user_id == actor.id)
    )
    if (owned or 0) >= MAX_VIEWS:
        raise InvalidInput(
            "too many views", errors=[FieldError("name", f"keep at most {MAX_VIEWS} views")]
        )
    view = SavedView(
        user_id=actor.id,
        name=data.name,
        query=clean_query(data.query),
        shared=data.shared,
        created_at=uow.now,
    )
    uow.session.add(view)
    uow.flush()
    append_event(
        uow, actor, "incident_view.saved", subject_type="incident_view", subject_id=view.id,
        data={"name": view.name, "query": view.query, "shared": view.shared},
    )  # fmt: skip
    return view


def do_delete_view(uow: UnitOfWork, actor: Actor, view_id: str) -> None:
    """Delete a saved view. Preconditions: the owner, or an admin; the view exists."""
    view = uow.session.get(SavedView, view_id)
    if view is None or (view.user_id != actor.id and not view.shared):
        raise NotFound("no such view")
    if view.user_id != actor.id and actor.role < Role.ADMIN:
        raise PermissionDenied("only its owner or an admin may delete a shared view")
    append_event(
        uow, actor, "incident_view.deleted", subject_type="incident_view", subject_id=view.id,
        data={"name": view.name},
    )  # fmt: skip
    uow.session.delete(view)
    uow.flush()
