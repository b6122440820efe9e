"""``users/``: people, by email, with their contact methods (never passwords or webhook
signing secrets). Contact methods applied from files count as verified by the admin who
applies them: the files are reviewed like any other change."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from pydantic import Field, model_validator
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.schemas import Email, Name, RoleName, TimeZone, UserCreate, UserUpdate
from muster.domain.accounts.service import do_archive_user, do_create_user, do_update_user
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import live
from muster.domain.events.actor import Actor
from muster.domain.notify.addresses import normalise_address
from muster.domain.notify.models import ContactMethod
from muster.domain.notify.schemas import Address, Label, MethodCreate, MethodType, MethodUpdate
from muster.domain.notify.service import do_add_method, do_remove_method, do_update_method
from muster.errors import InvalidInput


class ContactMethodDoc(FileSchema):
    type: MethodType
    address: Address
    label: Label

    @model_validator(mode="after")
    def _normalised(self) -> ContactMethodDoc:
        try:
            self.address = normalise_address(self.type, self.address)
        except InvalidInput as exc:
            raise ValueError(exc.errors[0].reason if exc.errors else exc.detail) from None
        return self


class UserDoc(FileSchema):
    email: Email
    name: Name
    role: RoleName = "responder"
    time_zone: TimeZone = "UTC"
    contact_methods: list[ContactMethodDoc] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _ordered(self) -> UserDoc:
        self.contact_methods.sort(key=lambda m: (m.type, m.address))
        seen = {(m.type, m.address) for m in self.contact_methods}
        if len(seen) != len(self.contact_methods):
            raise ValueError("a contact method is listed twice")
        return self


def _methods(uow: UnitOfWork, user_id: str | None = None) -> list[ContactMethod]:
    query = select(ContactMethod).where(ContactMethod.removed_at.is_(None))
    if user_id is not None:
        query = query.where(ContactMethod.user_id == user_id)
    return list(uow.session.scalars(query))


class UsersKind:
    folder: ClassVar[str] = "users"
    key: ClassVar[str] = "email"
    label: ClassVar[str] = "user"
    schema: ClassVar[type[FileSchema]] = UserDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.email)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        methods: dict[str, list[ContactMethodDoc]] = {}
        for m in _methods(uow):
            methods.setdefault(m.user_id, []).append(
                ContactMethodDoc.model_construct(
                    type=cast(Any, m.type), address=m.address, label=m.label
                )
            )
        out: dict[str, Current] = {}
        for user in live(uow, User):
            doc = UserDoc.model_construct(
                email=user.email, name=user.name, role=user.role, time_zone=user.time_zone,
                contact_methods=sorted(methods.get(user.id, []), key=lambda m: (m.type, m.address)),
            )  # fmt: skip
            out[user.email] = (user.id, dump_doc(doc))
        return out

    def references(self, doc: Any) -> list[Ref]:
        return []

    def create(self, uow: UnitOfWork, actor: Actor, doc: UserDoc) -> str:
        user = do_create_user(
            uow,
            actor,
            UserCreate(email=doc.email, name=doc.name, time_zone=doc.time_zone, role=doc.role),
        )
        self._set_methods(uow, actor, user.id, doc.contact_methods)
        return user.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: UserDoc) -> None:
        do_update_user(
            uow, actor, object_id, UserUpdate(name=doc.name, time_zone=doc.time_zone, role=doc.role)
        )
        self._set_methods(uow, actor, object_id, doc.contact_methods)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_user(uow, actor, object_id)

    def _set_methods(
        self, uow: UnitOfWork, actor: Actor, user_id: str, wanted: list[ContactMethodDoc]
    ) -> None:
        have = {(m.type, m.address): m for m in _methods(uow, user_id)}
        for m in wanted:
            row = have.pop((m.type, m.address), None)
            if row is None:
                do_add_method(uow, actor, user_id, MethodCreate(type=m.type, label=m.label, address=m.address, verified=True))  # fmt: skip
            elif row.label != m.label:
                do_update_method(uow, actor, user_id, row.id, MethodUpdate(label=m.label))
        for row in have.values():
            do_remove_method(uow, actor, user_id, row.id)
