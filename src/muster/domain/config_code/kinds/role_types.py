"""``role_types/``: the roles people hold in incidents, by key (the built-in ones
included: a file for one adopts it; built-in roles cannot be archived, so a removed file
leaves one as it is, unmanaged). A file for an archived role brings it back."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import IncidentRoleType
from muster.domain.incidents.roles import role_types
from muster.domain.incidents.settings import (
    do_archive_role_type,
    do_create_role_type,
    do_restore_role_type,
    do_update_role_type,
    get_role_type,
)
from muster.domain.incidents.settings_schemas import (
    Instructions,
    Key,
    Name,
    Position,
    RoleTypeCreate,
    RoleTypeUpdate,
)


class RoleTypeDoc(FileSchema):
    key: Key
    name: Name
    instructions: Instructions = ""
    position: Position = 100


class RoleTypesKind:
    folder: ClassVar[str] = "role_types"
    key: ClassVar[str] = "key"
    label: ClassVar[str] = "incident role"
    schema: ClassVar[type[FileSchema]] = RoleTypeDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.key)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        return {
            row.key: (row.id, dump_doc(RoleTypeDoc.model_construct(
                key=row.key, name=row.name, instructions=row.instructions,
                position=row.position,
            )))
            for row in role_types(uow)
        }  # fmt: skip

    def references(self, doc: Any) -> list[Ref]:
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: RoleTypeDoc) -> str:
        archived = uow.session.scalar(
            select(IncidentRoleType).where(IncidentRoleType.key == doc.key)
        )
        if archived is not None:  # only archived ones are missing from current()
            do_restore_role_type(uow, actor, archived.id)
            self.update(uow, actor, archived.id, doc)
            return archived.id
        return do_create_role_type(uow, actor, RoleTypeCreate(**doc.model_dump())).id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: RoleTypeDoc) -> None:
        data = RoleTypeUpdate(**doc.model_dump(exclude={"key"}))
        do_update_role_type(uow, actor, object_id, data)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        if not get_role_type(uow, object_id).builtin:
            do_archive_role_type(uow, actor, object_id)
