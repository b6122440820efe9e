"""SSO login in the domain: find, link or create the user; group rules applied and
re-applied; archived users refused; rule validation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpers import SYSTEM, make_person
from muster.db.uow import Database
from muster.domain.accounts.models import TeamMember, User
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_archive_user, do_create_team
from muster.domain.accounts.sso import SsoClaims, do_sso_login
from muster.domain.accounts.sso_models import SsoIdentity
from muster.domain.accounts.sso_rules import GroupRuleIn, do_create_group_rule
from muster.errors import InvalidInput, NotAuthenticated
from ui_support import count, events_of_type

ISSUER = "https://idp.example.com"


def claims(sub: str, email: str, groups: list[str], verified: bool = True) -> SsoClaims:
    return SsoClaims.parse(
        {"iss": ISSUER, "sub": sub, "email": email, "email_verified": verified,
         "name": "Ada Lovelace", "groups": groups}
    )  # fmt: skip


def login(db: Database, c: SsoClaims) -> User:
    with db.unit_of_work() as uow:
        user = do_sso_login(uow, c, uow.now)
        uow.commit()
        uow.session.expunge(user)
        return user


def team(db: Database, name: str) -> str:
    with db.unit_of_work() as uow:
        t = do_create_team(uow, SYSTEM, TeamCreate(name=name))
        uow.commit()
        return t.id


def rule(db: Database, **fields: object) -> None:
    with db.unit_of_work() as uow:
        do_create_group_rule(uow, SYSTEM, GroupRuleIn.model_validate(fields))
        uow.commit()


def memberships(db: Database, user_id: str) -> dict[str, str]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(select(TeamMember).where(TeamMember.user_id == user_id))
        return {m.team_id: m.role for m in rows}


def test_first_login_creates_the_user_and_links_the_subject(db: Database) -> None:
    make_person(db, "admin")
    user = login(db, claims("u-1", "Ada@Example.com", []))
    assert (user.email, user.name, user.role, user.time_zone) == (
        "ada@example.com", "Ada Lovelace", "viewer", "UTC")  # fmt: skip
    created = events_of_type(db, "user.created")[-1]
    assert created.subject_id == user.id
    assert created.actor_label == f"sso:{ISSUER}"
    assert events_of_type(db, "user.sso_login")[-1].data["created"] is True
    again = login(db, claims("u-1", "ada@example.com", []))
    assert again.id == user.id
    assert count(db, User) == 2
    assert count(db, SsoIdentity) == 1
    assert events_of_type(db, "user.sso_login")[-1].data["created"] is False


def test_existing_user_is_linked_by_verified_email_only(db: Database) -> None:
    person = make_person(db, "responder", email="grace@example.com")
    with pytest.raises(NotAuthenticated, match="not verified"):
        login(db, claims("g-1", "grace@example.com", [], verified=False))
    assert count(db, SsoIdentity) == 0
    user = login(db, claims("g-1", "grace@example.com", []))
    assert user.id == person.id
    assert user.role == "responder"
    assert events_of_type(db, "user.sso_login")[-1].data["linked"] is True


def test_group_rules_applied_and_reapplied_on_each_login(db: Database) -> None:
    make_person(db, "admin")
    sre, dba, other = team(db, "SRE"), team(db, "DBA"), team(db, "Hand-picked")
    rule(db, group_name="responders", account_role="responder")
    rule(db, group_name="leads", account_role="manager", team_id=sre, team_role="manager")
    rule(db, group_name="sre", team_id=sre)
    rule(db, group_name="dba", team_id=dba)

    user = login(db, claims("u-2", "lin@example.com", ["responders", "leads", "sre", "x"]))
    assert user.role == "manager"  # the highest of the matching rules
    assert memberships(db, user.id) == {sre: "manager"}
    with db.unit_of_work() as uow:  # a membership no rule manages
        do_add_team_member(uow, SYSTEM, other, MemberAdd(user_id=user.id))
        uow.commit()

    user = login(db, claims("u-2", "lin@example.com", ["responders", "dba"]))
    assert user.role == "responder"
    assert memberships(db, user.id) == {dba: "member", other: "member"}
    removed = events_of_type(db, "team.member_removed")[-1]
    assert removed.subject_id == sre
    assert removed.data["user_id"] == user.id
    role_change = events_of_type(db, "user.updated")[-1]
    assert role_change.data["role"] == {"from": "manager", "to": "responder"}


def test_archived_user_is_refused(db: Database) -> None:
    make_person(db, "admin")
    user = login(db, claims("u-3", "old@example.com", []))
    with db.unit_of_work() as uow:
        do_archive_user(uow, SYSTEM, user.id)
        uow.commit()
    before = len(events_of_type(db, "user.sso_login"))
    with pytest.raises(NotAuthenticated, match="disabled"):
        login(db, claims("u-3", "old@example.com", []))
    assert len(events_of_type(db, "user.sso_login")) == before


def test_rules_need_a_team_or_role_and_a_real_team(db: Database) -> None:
    with pytest.raises(ValueError, match="a team, an account role"):
        GroupRuleIn(group_name="g")
    with pytest.raises(InvalidInput) as exc:
        rule(db, group_name="g", team_id="00000000-0000-0000-0000-000000000000")
    assert exc.value.errors[0].field == "team_id"


def test_claims_without_subject_are_refused() -> None:
    with pytest.raises(NotAuthenticated):
        SsoClaims.parse({"iss": ISSUER, "email": "a@example.com"})
