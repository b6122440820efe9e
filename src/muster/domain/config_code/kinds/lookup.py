"""Finding objects by their stable names, and names by ids, for the kinds' modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.errors import FieldError, InvalidInput


def id_named(uow: UnitOfWork, model: Any, value: str, *, column: str = "name", field: str) -> str:
    """The id of the live ``model`` row whose ``column`` is ``value`` (case-insensitive);
    InvalidInput naming ``field`` when there is none (the plan checks references first,
    so this is a guard)."""
    col = getattr(model, column)
    query = select(model.id).where(func.lower(col) == value.lower())
    if hasattr(model, "archived_at"):
        query = query.where(model.archived_at.is_(None))
    found = uow.session.scalar(query)
    if found is None:
        raise InvalidInput(f"nothing named {value!r}", errors=[FieldError(field, "not found")])
    return str(found)


def names_by_id(uow: UnitOfWork, model: Any, *, column: str = "name") -> dict[str, str]:
    """Every row's ``column`` by id (archived ones too: a reference may outlive them)."""
    return {
        str(i): str(n) for i, n in uow.session.execute(select(model.id, getattr(model, column)))
    }


def live(uow: UnitOfWork, model: Any) -> list[Any]:
    query = select(model)
    if hasattr(model, "archived_at"):
        query = query.where(model.archived_at.is_(None))
    if hasattr(model, "exercise_run_id"):  # drills' objects are not configuration
        query = query.where(model.exercise_run_id.is_(None))
    return list(uow.session.scalars(query))
