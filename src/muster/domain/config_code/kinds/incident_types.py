"""``incident_types/``: incident types by key (the built-in ones included: a file for
one adopts it)."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import IncidentType
from muster.domain.incidents.settings import (
    do_archive_incident_type,
    do_create_incident_type,
    do_update_incident_type,
)
from muster.domain.incidents.settings_schemas import (
    Description,
    IncidentTypeCreate,
    IncidentTypeUpdate,
    Key,
    Name,
)


class IncidentTypeDoc(FileSchema):
    key: Key
    name: Name
    description: Description = ""
    restricted_by_default: bool = False


class IncidentTypesKind:
    folder: ClassVar[str] = "incident_types"
    key: ClassVar[str] = "key"
    label: ClassVar[str] = "incident type"
    schema: ClassVar[type[FileSchema]] = IncidentTypeDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.key)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        rows = uow.session.scalars(select(IncidentType).where(IncidentType.archived_at.is_(None)))
        return {
            row.key: (row.id, dump_doc(IncidentTypeDoc.model_construct(
                key=row.key, name=row.name, description=row.description,
                restricted_by_default=row.restricted_by_default,
            )))
            for row in rows
        }  # fmt: skip

    def references(self, doc: Any) -> list[Ref]:
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: IncidentTypeDoc) -> str:
        data = IncidentTypeCreate(**doc.model_dump())
        return do_create_incident_type(uow, actor, data).id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: IncidentTypeDoc) -> None:
        data = IncidentTypeUpdate(**doc.model_dump(exclude={"key"}))
        do_update_incident_type(uow, actor, object_id, data)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_incident_type(uow, actor, object_id)
