"""``severities/``: the five severity levels' definitions, by name (SEV1 .. SEV5). The
levels themselves always exist: files change their definitions; a missing file changes
nothing and no level can be created or deleted."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import SeverityLevel
from muster.domain.incidents.settings import do_update_severity
from muster.domain.incidents.settings_schemas import (
    Cadence,
    Description,
    SeverityEdit,
    SeverityLabel,
)
from muster.errors import FieldError, InvalidInput


class SeverityDoc(FileSchema):
    name: str = Field(pattern=r"^SEV[1-5]$")
    label: SeverityLabel
    description: Description = ""
    update_cadence_minutes: Cadence | None = None
    requires_commander: bool = False


class SeveritiesKind:
    folder: ClassVar[str] = "severities"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "severity"
    schema: ClassVar[type[FileSchema]] = SeverityDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.name)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        rows = uow.session.scalars(select(SeverityLevel).order_by(SeverityLevel.level))
        return {
            row.name: (str(row.level), dump_doc(SeverityDoc.model_construct(
                name=row.name, label=row.label, description=row.description,
                update_cadence_minutes=row.update_cadence_minutes,
                requires_commander=row.requires_commander,
            )))
            for row in rows
        }  # fmt: skip

    def references(self, doc: Any) -> list[Ref]:
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: SeverityDoc) -> str:
        raise InvalidInput(
            "severity levels cannot be created", errors=[FieldError("name", "SEV1 to SEV5 only")]
        )

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: SeverityDoc) -> None:
        data = SeverityEdit(**doc.model_dump(exclude={"name"}))
        do_update_severity(uow, actor, int(object_id), data)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        """The level stays as defined; it is only no longer managed."""
