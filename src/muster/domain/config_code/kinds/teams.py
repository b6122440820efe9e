"""``teams/``: teams by name, with their members (by email) and member roles."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, cast

from pydantic import Field, model_validator
from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, TeamMember, User
from muster.domain.accounts.schemas import Description, Email, MemberAdd, TeamCreate, TeamUpdate
from muster.domain.accounts.service import (
    do_add_team_member,
    do_archive_team,
    do_create_team,
    do_remove_team_member,
    do_update_team,
)
from muster.domain.catalog.schemas import ServiceName
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import id_named, live
from muster.domain.events.actor import Actor


class MemberDoc(FileSchema):
    user: Email
    role: Literal["member", "manager"] = "member"


class TeamDoc(FileSchema):
    name: ServiceName
    description: Description = ""
    members: list[MemberDoc] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _ordered(self) -> TeamDoc:
        self.members.sort(key=lambda m: m.user)
        if len({m.user for m in self.members}) != len(self.members):
            raise ValueError("a member is listed twice")
        return self


class TeamsKind:
    folder: ClassVar[str] = "teams"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "team"
    schema: ClassVar[type[FileSchema]] = TeamDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.name)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        members: dict[str, list[MemberDoc]] = {}
        rows = uow.session.execute(
            select(TeamMember.team_id, User.email, TeamMember.role)
            .join(User, User.id == TeamMember.user_id)
            .where(User.archived_at.is_(None))
        )
        for team_id, email, role in rows:
            members.setdefault(team_id, []).append(
                MemberDoc.model_construct(user=email, role=cast(Any, role))
            )
        out: dict[str, Current] = {}
        for team in live(uow, Team):
            doc = TeamDoc.model_construct(
                name=team.name, description=team.description,
                members=sorted(members.get(team.id, []), key=lambda m: m.user),
            )  # fmt: skip
            out[team.name] = (team.id, dump_doc(doc))
        return out

    def references(self, doc: Any) -> list[Ref]:
        assert isinstance(doc, TeamDoc)
        return [Ref(("members", i, "user"), "users", m.user) for i, m in enumerate(doc.members)]

    def create(self, uow: UnitOfWork, actor: Actor, doc: TeamDoc) -> str:
        team = do_create_team(uow, actor, TeamCreate(name=doc.name, description=doc.description))
        self._set_members(uow, actor, team.id, doc)
        return team.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: TeamDoc) -> None:
        do_update_team(
            uow, actor, object_id, TeamUpdate(name=doc.name, description=doc.description)
        )
        self._set_members(uow, actor, object_id, doc)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_team(uow, actor, object_id)

    def _set_members(self, uow: UnitOfWork, actor: Actor, team_id: str, doc: TeamDoc) -> None:
        have: dict[str, str] = {
            user_id: role
            for user_id, role in uow.session.execute(
                select(TeamMember.user_id, TeamMember.role)
                .join(User, User.id == TeamMember.user_id)
                .where(TeamMember.team_id == team_id, User.archived_at.is_(None))
            )
        }
        for i, m in enumerate(doc.members):
            user_id = id_named(uow, User, m.user, column="email", field=f"members.{i}.user")
            if have.pop(user_id, None) != m.role:
                do_add_team_member(uow, actor, team_id, MemberAdd(user_id=user_id, role=m.role))
        for user_id in have:
            do_remove_team_member(uow, actor, team_id, user_id)
