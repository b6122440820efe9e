"""Signing in through an OpenID Connect provider: find, link or create the user, then
apply the admin's group rules (account role, managed team memberships) at every login.

The web layer validates the ID token; this module trusts the claims it is given."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from muster.config import SsoSettings
from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts import service as accounts
from muster.domain.accounts.credentials import do_start_session
from muster.domain.accounts.models import Team, TeamMember, User
from muster.domain.accounts.schemas import MemberAdd, UserCreate, UserUpdate
from muster.domain.accounts.sso_models import SsoGroupRule, SsoIdentity
from muster.domain.events.actor import Actor, Role, Via
from muster.domain.events.service import append_event
from muster.errors import Conflict, NotAuthenticated

TEAM_ROLE_RANK = {"member": 1, "manager": 2}
JIT_ROLE = "viewer"  # a new user no rule gives a role to
NAME_MAX = 200


@dataclass(frozen=True)
class SsoClaims:
    """What the login needs from a validated ID token (and userinfo)."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    groups: tuple[str, ...]

    @classmethod
    def parse(cls, claims: Mapping[str, object], group_claim: str = "groups") -> SsoClaims:
        """Pick the claims Muster uses; a missing ``iss`` or ``sub`` is refused."""
        issuer, subject = claims.get("iss"), claims.get("sub")
        if not isinstance(issuer, str) or not issuer or not isinstance(subject, str) or not subject:
            raise NotAuthenticated("the provider's token names no issuer or subject")
        email = claims.get("email")
        name = claims.get("name")
        raw_groups = claims.get(group_claim)
        if isinstance(raw_groups, str):
            groups: tuple[str, ...] = (raw_groups,)
        elif isinstance(raw_groups, list | tuple):
            groups = tuple(str(g) for g in raw_groups)
        else:
            groups = ()
        return cls(
            issuer=issuer,
            subject=subject,
            email=email.strip().lower() if isinstance(email, str) and email.strip() else None,
            email_verified=claims.get("email_verified") is True,
            name=name.strip() if isinstance(name, str) and name.strip() else None,
            groups=groups,
        )


def sso_actor(issuer: str, ip: str | None = None) -> Actor:
    """Who changes accounts on an SSO login: the system, labelled with the door."""
    return Actor(kind="system", id=None, label=f"sso:{issuer}"[:200], role=Role.ADMIN,
                 via=Via.SSO, ip=ip)  # fmt: skip


def do_sso_login(
    uow: UnitOfWork, claims: SsoClaims, now: datetime, *, ip: str | None = None
) -> User:
    """The user the provider vouches for: by (issuer, subject), else by verified email
    (then linked), else created just in time. Group rules are (re)applied.

    Precondition: ``claims`` come from an ID token whose signature, issuer, audience,
    expiry and nonce were checked. Refuses archived users with :class:`NotAuthenticated`.
    """
    actor = sso_actor(claims.issuer, ip)
    identity = uow.session.scalar(
        select(SsoIdentity).where(
            SsoIdentity.issuer == claims.issuer, SsoIdentity.subject == claims.subject
        )
    )
    created = linked = False
    if identity is not None:
        user = identity.user
    else:
        user, created = _link_or_create(uow, actor, claims)
        linked = not created
        identity = SsoIdentity(
            user_id=user.id,
            issuer=claims.issuer,
            subject=claims.subject,
            created_at=now,
            last_login_at=now,
        )
        uow.session.add(identity)
    if user.archived_at is not None:
        raise NotAuthenticated("this account is disabled in Muster; ask an admin")
    identity.last_login_at = now
    _apply_rules(uow, actor, user, claims.groups)
    append_event(
        uow,
        actor_for_login(user, ip),
        "user.sso_login",
        subject_type="user",
        subject_id=user.id,
        data={
            "issuer": claims.issuer,
            "subject": claims.subject,
            "created": created,
            "linked": linked,
            "groups": list(claims.groups),
        },
    )
    return user


def sso_sign_in(
    db: Database, claims: SsoClaims, *, ip: str | None, user_agent: str, max_age: timedelta
) -> str:
    """:func:`do_sso_login` and a new session in one transaction; returns the session key.

    Two first sign-ins of one person at once (two tabs, a double click) race to create
    the same account or identity: the loser's insert fails on a unique constraint, and
    it is tried once more, when it finds what the winner created."""
    for attempt in (1, 2):
        try:
            with db.unit_of_work() as uow:
                user = do_sso_login(uow, claims, uow.now, ip=ip)
                _session, key = do_start_session(
                    uow, user, max_age=max_age, ip=ip, user_agent=user_agent
                )
                uow.commit()
                return key
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def actor_for_login(user: User, ip: str | None) -> Actor:
    return Actor(kind="user", id=user.id, label=user.email, role=Role.parse(user.role),
                 via=Via.SSO, ip=ip)  # fmt: skip


def _link_or_create(uow: UnitOfWork, actor: Actor, claims: SsoClaims) -> tuple[User, bool]:
    if claims.email is None:
        raise NotAuthenticated("the provider gave no email address for this account")
    existing = accounts.find_user_by_email(uow, claims.email)
    if existing is not None:
        if not claims.email_verified:
            raise NotAuthenticated(
                "an account with this email exists, but the provider has not verified it"
            )
        return existing, False
    name = (claims.name or claims.email.split("@")[0])[:NAME_MAX]
    role = _account_role(matching_rules(uow, claims.groups)) or JIT_ROLE
    user = accounts.do_create_user(uow, actor, UserCreate(email=claims.email, name=name, role=role))
    return user, True


def list_group_rules(uow: UnitOfWork) -> Sequence[SsoGroupRule]:
    return uow.session.scalars(
        select(SsoGroupRule).order_by(SsoGroupRule.position, SsoGroupRule.created_at)
    ).all()


def matching_rules(uow: UnitOfWork, groups: Sequence[str]) -> list[SsoGroupRule]:
    wanted = set(groups)
    return [r for r in list_group_rules(uow) if r.group_name in wanted]


def _account_role(rules: Sequence[SsoGroupRule]) -> str | None:
    roles = [Role.parse(r.account_role) for r in rules if r.account_role]
    return max(roles).label if roles else None


def _apply_rules(uow: UnitOfWork, actor: Actor, user: User, groups: Sequence[str]) -> None:
    """Make the account role and the managed team memberships match ``groups``.

    The role is the highest any matching rule gives (unchanged when none gives one; the
    last admin is never demoted). Teams named by no rule keep their members as they are."""
    rules = list_group_rules(uow)
    matching = [r for r in rules if r.group_name in set(groups)]
    role = _account_role(matching)
    if role is not None and role != user.role:
        try:
            if user.role == "admin":
                accounts.check_not_last_admin(uow, user)
            accounts.do_update_user(uow, actor, user.id, UserUpdate(role=role))
        except Conflict:
            pass  # keep the last admin an admin
    managed = {r.team_id for r in rules if r.team_id}
    wanted: dict[str, str] = {}
    for rule in matching:
        if rule.team_id:
            team_role = rule.team_role or "member"
            if TEAM_ROLE_RANK[team_role] > TEAM_ROLE_RANK.get(wanted.get(rule.team_id, ""), 0):
                wanted[rule.team_id] = team_role
    current = {
        m.team_id: m.role
        for m in uow.session.scalars(select(TeamMember).where(TeamMember.user_id == user.id))
    }
    for team_id in sorted(managed):
        team = uow.session.get(Team, team_id)
        if team is None or team.archived_at is not None:
            continue
        if team_id in wanted and current.get(team_id) != wanted[team_id]:
            accounts.do_add_team_member(
                uow, actor, team_id, MemberAdd(user_id=user.id, role=wanted[team_id])
            )
        elif team_id not in wanted and team_id in current:
            accounts.do_remove_team_member(uow, actor, team_id, user.id)


def password_login_allowed(sso: SsoSettings, email: str) -> bool:
    """Whether ``email`` may sign in with a password under the configured policy."""
    if sso.password_login != "break_glass_only":  # noqa: S105
        return True
    return email.strip().lower() in sso.break_glass_emails


def check_password_login(sso: SsoSettings, email: str) -> None:
    """Refuse a password sign-in the policy does not allow (break-glass admins only)."""
    if not password_login_allowed(sso, email):
        raise NotAuthenticated(f"password sign-in is off; use {sso.display_name}")


def login_context(sso: SsoSettings, show_password: bool) -> dict[str, Any]:
    """What the sign-in page shows: the provider's button, and the password form unless
    the policy keeps it for break-glass admins (reached with ``?password=1``)."""
    return {
        "sso_name": sso.display_name if sso.enabled else None,
        "password_form": sso.password_login != "break_glass_only" or show_password,  # noqa: S105
    }
