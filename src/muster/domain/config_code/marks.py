"""Asking whether an object is managed by configuration files (pages warn before such an
object is edited by hand: the next ``muster config apply`` would undo the edit)."""

from __future__ import annotations

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.models import ManagedObject


def is_managed(uow: UnitOfWork, kind: str, object_id: str) -> bool:
    """Whether the object of ``kind`` (a folder name: ``services``, ``teams`` ...) was
    created or adopted from configuration files."""
    found = uow.session.scalar(
        select(ManagedObject.id).where(
            ManagedObject.kind == kind, ManagedObject.object_id == object_id
        )
    )
    return found is not None


def managed_ids(uow: UnitOfWork, kind: str) -> set[str]:
    """The ids of every object of ``kind`` managed by configuration files (for lists)."""
    return set(
        uow.session.scalars(select(ManagedObject.object_id).where(ManagedObject.kind == kind))
    )
