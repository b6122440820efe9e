"""What every kind of configuration object provides to the core.

A kind is one folder of files (``teams``, ``services`` ...). It describes its files by a
pydantic ``schema`` whose ``key`` field (usually ``name``) is the object's stable name,
the name other files refer to it by. The core does the rest (reading, diffing, ordering, marks):

- ``name_of(doc)``: the stable name a document gives (usually its ``key`` field);
- ``current(uow)``: every live object as ``{name: (id, document)}``, the document in the
  schema's shape (exactly what export writes, so a diff compares like with like);
- ``references(doc)``: the names this document refers to, as :class:`Ref` (the core checks
  each exists in the files or, unmanaged, in the database, and reports the line);
- ``create`` / ``update`` / ``delete``: through the domain's ``do_*`` commands, so rules
  are checked and events recorded as for any other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor


class FileSchema(BaseModel):
    """Base of every kind's file shape: unknown keys are refused (a typo is an error)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Ref:
    """A reference by name from a field of a document to an object of ``kind``."""

    path: tuple[str | int, ...]
    kind: str
    name: str


Current = tuple[str, dict[str, Any]]  # (object id, document)


class Kind(Protocol):
    folder: ClassVar[str]  # the folder, and the kind's name in marks
    key: ClassVar[str]  # the schema field holding the stable name ("name", "email")
    label: ClassVar[str]  # "service", for messages
    schema: ClassVar[type[FileSchema]]

    def name_of(self, doc: Any) -> str: ...

    def current(self, uow: UnitOfWork) -> dict[str, Current]: ...

    def references(self, doc: Any) -> list[Ref]: ...

    def create(self, uow: UnitOfWork, actor: Actor, doc: Any) -> str: ...

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: Any) -> str | None:
        """Change the object; returns its new id when it had to be replaced."""

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None: ...


def dump_doc(doc: BaseModel) -> dict[str, Any]:
    """A document as the plain data written to and compared with files."""
    return doc.model_dump(mode="json")
