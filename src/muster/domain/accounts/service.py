"""Commands and queries on users and teams.

``check_*`` functions validate and raise; ``do_*`` functions change rows and append
events, and assume their preconditions (named in each docstring) were checked.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from muster.db.pagination import Page, paginate
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team, TeamMember, User
from muster.domain.accounts.passwords import hash_password, password_problem
from muster.domain.accounts.permissions import require, require_self_or
from muster.domain.accounts.schemas import (
    MemberAdd,
    MemberOut,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    UserCreate,
    UserUpdate,
)
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

# ---------------------------------------------------------------- users


def check_password(password: str) -> None:
    if problem := password_problem(password):
        raise InvalidInput("password too weak", errors=[FieldError("password", problem)])


def do_create_user(uow: UnitOfWork, actor: Actor, data: UserCreate) -> User:
    """Create a user. Needs admin, except for the very first user of an installation."""
    if count_users(uow) > 0:
        require(actor, Role.ADMIN)
    if data.password is not None:
        check_password(data.password)
    if uow.session.scalar(select(User.id).where(User.email == data.email)):
        raise Conflict(
            "a user with this email exists", errors=[FieldError("email", "already taken")]
        )
    user = User(
        email=data.email,
        name=data.name,
        time_zone=data.time_zone,
        role=data.role,
        password_hash=hash_password(data.password) if data.password else None,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(user)
    uow.flush()
    append_event(
        uow,
        actor,
        "user.created",
        subject_type="user",
        subject_id=user.id,
        data={
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "time_zone": user.time_zone,
        },
    )
    return user


def do_update_user(uow: UnitOfWork, actor: Actor, user_id: str, data: UserUpdate) -> User:
    """Edit a user: oneself (not one's role), or anyone as admin."""
    user = get_user(uow, user_id)
    require_self_or(actor, user_id, Role.ADMIN)
    if data.role is not None and data.role != user.role:
        require(actor, Role.ADMIN)
        if user.id == actor.id and data.role != "admin":
            check_not_last_admin(uow, user)
    changes: dict[str, object] = {}
    for field in ("name", "time_zone", "role"):
        value = getattr(data, field)
        if value is not None and value != getattr(user, field):
            changes[field] = {"from": getattr(user, field), "to": value}
            setattr(user, field, value)
    if data.password is not None:
        check_password(data.password)
        user.password_hash = hash_password(data.password)
        changes["password"] = "changed"  # noqa: S105
    if changes:
        user.updated_at = uow.now
        append_event(
            uow, actor, "user.updated", subject_type="user", subject_id=user.id, data=changes
        )
    return user


def do_archive_user(uow: UnitOfWork, actor: Actor, user_id: str) -> User:
    """Archive a user: they can no longer sign in; history keeps their name."""
    require(actor, Role.ADMIN)
    user = get_user(uow, user_id)
    if user.archived_at is None:
        check_not_last_admin(uow, user)
        user.archived_at = uow.now
        user.updated_at = uow.now
        append_event(uow, actor, "user.archived", subject_type="user", subject_id=user.id)
    return user


def check_not_last_admin(uow: UnitOfWork, user: User) -> None:
    if user.role != "admin":
        return
    admins = uow.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == "admin", User.archived_at.is_(None))
    )
    if (admins or 0) <= 1:
        raise Conflict("this is the last admin; make another admin first")


def get_user(uow: UnitOfWork, user_id: str) -> User:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def find_user_by_email(uow: UnitOfWork, email: str) -> User | None:
    return uow.session.scalar(select(User).where(User.email == email.strip().lower()))


def count_users(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(User)) or 0)


def list_users(
    uow: UnitOfWork, *, cursor: str | None = None, limit: int = 100, archived: bool = False
) -> Page[User]:
    query = select(User).where(
        User.archived_at.is_not(None) if archived else User.archived_at.is_(None)
    )
    return paginate(
        uow.session, query, sort=User.email, tiebreak=User.id, cursor=cursor, limit=limit
    )


# ---------------------------------------------------------------- teams


def do_create_team(uow: UnitOfWork, actor: Actor, data: TeamCreate) -> Team:
    require(actor, Role.MANAGER)
    check_team_name_free(uow, data.name)
    team = Team(
        name=data.name, description=data.description, created_at=uow.now, updated_at=uow.now
    )
    uow.session.add(team)
    uow.flush()
    append_event(
        uow,
        actor,
        "team.created",
        subject_type="team",
        subject_id=team.id,
        data={"name": team.name, "description": team.description},
    )
    return team


def check_team_name_free(uow: UnitOfWork, name: str, *, except_id: str | None = None) -> None:
    query = select(Team.id).where(func.lower(Team.name) == name.lower())
    if except_id:
        query = query.where(Team.id != except_id)
    if uow.session.scalar(query):
        raise Conflict("a team with this name exists", errors=[FieldError("name", "already taken")])


def do_update_team(uow: UnitOfWork, actor: Actor, team_id: str, data: TeamUpdate) -> Team:
    require(actor, Role.MANAGER)
    team = get_team(uow, team_id)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != team.name:
        check_team_name_free(uow, data.name, except_id=team.id)
        changes["name"] = {"from": team.name, "to": data.name}
        team.name = data.name
    if data.description is not None and data.description != team.description:
        changes["description"] = {"from": team.description, "to": data.description}
        team.description = data.description
    if changes:
        team.updated_at = uow.now
        append_event(
            uow, actor, "team.updated", subject_type="team", subject_id=team.id, data=changes
        )
    return team


def do_archive_team(uow: UnitOfWork, actor: Actor, team_id: str) -> Team:
    require(actor, Role.MANAGER)
    team = get_team(uow, team_id)
    if team.archived_at is None:
        team.archived_at = uow.now
        team.updated_at = uow.now
        append_event(uow, actor, "team.archived", subject_type="team", subject_id=team.id)
    return team


def do_add_team_member(uow: UnitOfWork, actor: Actor, team_id: str, data: MemberAdd) -> TeamMember:
    """Add a user to a team, or change their role in it. Needs manager."""
    require(actor, Role.MANAGER)
    team = get_team(uow, team_id)
    user = uow.session.get(User, data.user_id)
    if user is None or user.archived_at is not None:
        raise InvalidInput(
            "no such user", errors=[FieldError("user_id", "no active user has this id")]
        )
    member = uow.session.scalar(
        select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user.id)
    )
    if member is not None and member.role == data.role:
        return member
    if member is None:
        member = TeamMember(team_id=team.id, user_id=user.id, role=data.role, added_at=uow.now)
        uow.session.add(member)
    else:
        member.role = data.role
    append_event(
        uow,
        actor,
        "team.member_added",
        subject_type="team",
        subject_id=team.id,
        data={"user_id": user.id, "email": user.email, "role": data.role},
    )
    return member


def do_remove_team_member(uow: UnitOfWork, actor: Actor, team_id: str, user_id: str) -> None:
    require(actor, Role.MANAGER)
    team = get_team(uow, team_id)
    member = uow.session.scalar(
        select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    )
    if member is None:
        raise NotFound("that user is not a member of this team")
    uow.session.delete(member)
    append_event(
        uow,
        actor,
        "team.member_removed",
        subject_type="team",
        subject_id=team.id,
        data={"user_id": user_id},
    )


def get_team(uow: UnitOfWork, team_id: str) -> Team:
    team = uow.session.get(
        Team, team_id, options=[selectinload(Team.members).selectinload(TeamMember.user)]
    )
    if team is None:
        raise NotFound("no such team")
    return team


def list_teams(
    uow: UnitOfWork, *, cursor: str | None = None, limit: int = 100, archived: bool = False
) -> Page[Team]:
    query = (
        select(Team)
        .where(Team.archived_at.is_not(None) if archived else Team.archived_at.is_(None))
        .options(selectinload(Team.members).selectinload(TeamMember.user))
    )
    return paginate(
        uow.session, query, sort=Team.name, tiebreak=Team.id, cursor=cursor, limit=limit
    )


def team_out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        description=team.description,
        created_at=team.created_at,
        updated_at=team.updated_at,
        archived_at=team.archived_at,
        members=[
            MemberOut(user_id=m.user_id, email=m.user.email, name=m.user.name, role=m.role)
            for m in sorted(team.members, key=lambda m: m.user.name.lower())
        ],
    )
