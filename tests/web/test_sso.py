"""OpenID Connect sign-in against a real provider (oidc-provider-mock, in a thread):
first login, group rules re-applied, disabled users, forged and expired tokens,
logout, break-glass password sign-in, API tokens with password sign-in off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from oidc_provider_mock import run_server_in_thread

from helpers import SYSTEM, csrf_from, make_person, post_login, sign_in
from muster.clock import ManualClock
from muster.config import Settings, SsoSettings
from muster.db.uow import Database
from muster.domain.accounts.models import TeamMember, User
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_archive_user, do_create_team, find_user_by_email
from muster.domain.accounts.sso_rules import GroupRuleIn, do_create_group_rule
from muster.errors import NotAuthenticated
from muster.web.app import create_app
from muster.web.auth import SESSION_COOKIE
from muster.web.context import AppContext
from muster.web.ui.sso import validate_id_token
from ui_support import count, events_of_type

CLIENT_ID = "muster-test"
# The provider (a third-party test server) uses authlib APIs that authlib deprecates.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")


@pytest.fixture(scope="module")
def idp() -> Iterator[str]:
    """A real OIDC provider on a free port; its base URL (also its issuer)."""
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def _client(settings: Settings, db: Database, clock: ManualClock, sso: SsoSettings) -> TestClient:
    configured = replace(settings, sso=sso)
    return TestClient(create_app(AppContext(settings=configured, db=db, clock=clock)))


def _sso(idp: str, **overrides: Any) -> SsoSettings:
    base = SsoSettings(
        discovery_url=f"{idp}/.well-known/openid-configuration",
        client_id=CLIENT_ID,
        client_secret="s3cret",
        display_name="Example ID",
        redirect_base_url="http://testserver",
    )
    return replace(base, **overrides)


@pytest.fixture
def sso_client(
    idp: str, settings: Settings, db: Database, clock: ManualClock
) -> Iterator[TestClient]:
    with _client(settings, db, clock, _sso(idp)) as c:
        yield c


def sso_sign_in(client: TestClient, idp: str, sub: str, claims: dict[str, Any]) -> httpx.Response:
    """Muster → the provider's authorize form (submitting ``sub``) → Muster's callback."""
    httpx.put(f"{idp}/users/{sub}", json=claims).raise_for_status()
    start = client.get("/auth/oidc/login", params={"next": "/teams"}, follow_redirects=False)
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(f"{idp}/oauth2/authorize?")
    assert "code_challenge_method=S256" in authorize
    assert "nonce=" in authorize
    back = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
    assert back.status_code == 302, back.text
    callback = back.headers["location"]
    assert callback.startswith("http://testserver/auth/oidc/callback?")
    return client.get(callback, follow_redirects=False)


def _user(db: Database, email: str) -> User:
    with db.unit_of_work(readonly=True) as uow:
        user = find_user_by_email(uow, email)
        assert user is not None
        uow.session.expunge(user)
        return user


def test_first_login_creates_the_user_and_signs_in(
    sso_client: TestClient, idp: str, db: Database
) -> None:
    make_person(db, "admin")
    page = sso_client.get("/login")
    assert "Sign in with Example ID" in page.text
    assert 'name="password"' in page.text
    r = sso_sign_in(sso_client, idp, "sub-ada", {"email": "ada@example.com",
                    "email_verified": True, "name": "Ada L", "groups": []})  # fmt: skip
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/teams"
    assert sso_client.get("/teams", follow_redirects=False).status_code == 200
    user = _user(db, "ada@example.com")
    assert (user.name, user.role) == ("Ada L", "viewer")
    login_event = events_of_type(db, "user.sso_login")[-1]
    assert login_event.data["issuer"] == idp
    assert login_event.data["subject"] == "sub-ada"


def test_group_rules_applied_and_reapplied_on_next_login(
    sso_client: TestClient, idp: str, db: Database
) -> None:
    make_person(db, "admin")
    with db.unit_of_work() as uow:
        sre = do_create_team(uow, SYSTEM, TeamCreate(name="SRE")).id
        for data in (
            {"group_name": "oncall", "account_role": "responder", "team_id": sre},
            {"group_name": "muster-admins", "account_role": "admin"},
            {"group_name": "readers", "account_role": "viewer"},
        ):
            do_create_group_rule(uow, SYSTEM, GroupRuleIn.model_validate(data))
        uow.commit()
    claims: dict[str, Any] = {"email": "lin@example.com", "email_verified": True,
                              "groups": ["oncall", "muster-admins"]}  # fmt: skip
    assert sso_sign_in(sso_client, idp, "sub-lin", claims).status_code == 303
    first_cookie = sso_client.cookies.get(SESSION_COOKIE)
    user = _user(db, "lin@example.com")
    assert user.role == "admin"
    assert count(db, TeamMember, TeamMember.user_id == user.id, TeamMember.team_id == sre) == 1
    assert sso_client.get("/settings/sso").status_code == 200  # admin page now allowed

    claims["groups"] = ["readers"]
    assert sso_sign_in(sso_client, idp, "sub-lin", claims).status_code == 303
    assert sso_client.cookies.get(SESSION_COOKIE) != first_cookie  # a fresh session
    assert _user(db, "lin@example.com").role == "viewer"
    assert count(db, TeamMember, TeamMember.user_id == user.id) == 0
    assert sso_client.get("/settings/sso").status_code == 403


def test_archived_user_is_refused(sso_client: TestClient, idp: str, db: Database) -> None:
    make_person(db, "admin")
    gone = make_person(db, "responder", email="gone@example.com")
    with db.unit_of_work() as uow:
        do_archive_user(uow, SYSTEM, gone.id)
        uow.commit()
    r = sso_sign_in(sso_client, idp, "sub-gone", {"email": "gone@example.com",
                    "email_verified": True})  # fmt: skip
    assert r.status_code == 401
    assert "disabled" in r.text
    assert SESSION_COOKIE not in sso_client.cookies
    assert sso_client.get("/", follow_redirects=False).status_code in (303, 307)


def test_callback_with_a_wrong_state_is_refused(
    sso_client: TestClient, idp: str, db: Database
) -> None:
    httpx.put(f"{idp}/users/sub-x", json={"email": "x@example.com"}).raise_for_status()
    start = sso_client.get("/auth/oidc/login", follow_redirects=False)
    back = httpx.post(start.headers["location"], data={"sub": "sub-x"}, follow_redirects=False)
    forged = back.headers["location"].replace("state=", "state=evil")
    r = sso_client.get(forged, follow_redirects=False)
    assert r.status_code == 401
    assert "try again" in r.text
    assert count(db, User, User.email == "x@example.com") == 0


def test_logout_ends_the_sso_session(sso_client: TestClient, idp: str, db: Database) -> None:
    make_person(db, "admin")
    sso_sign_in(sso_client, idp, "sub-bo", {"email": "bo@example.com", "email_verified": True})
    csrf = csrf_from(sso_client.get("/").text)
    cookie = sso_client.cookies.get(SESSION_COOKIE)
    r = sso_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    sso_client.cookies.set(SESSION_COOKIE, cookie or "")  # the old cookie is dead too
    assert sso_client.get("/teams", follow_redirects=False).status_code in (303, 307)


def test_break_glass_only(idp: str, settings: Settings, db: Database, clock: ManualClock) -> None:
    admin = make_person(db, "admin", email="root@example.com")
    other = make_person(db, "manager")
    sso = _sso(idp, password_login="break_glass_only", break_glass_emails=("root@example.com",))
    with _client(settings, db, clock, sso) as client:
        page = client.get("/login")
        assert "Sign in with Example ID" in page.text
        assert 'name="password"' not in page.text
        assert 'name="password"' in client.get("/login?password=1").text
        refused = post_login(client, {"email": other.email, "password": other.password},
                              follow_redirects=False)  # fmt: skip
        assert refused.status_code == 401
        assert "password sign-in is off" in refused.text
        assert SESSION_COOKIE not in client.cookies
        # API tokens keep working for automation
        me = client.get("/api/v1/me", headers=other.auth)
        assert me.status_code == 200
        assert me.json()["email"] == other.email
        sign_in(client, admin.email, admin.password)  # the break-glass admin still can
        assert client.get("/settings/sso").status_code == 200


def test_admin_edits_group_rules_in_the_ui_and_api(sso_client: TestClient, db: Database) -> None:
    admin = make_person(db, "admin")
    responder = make_person(db, "responder")
    csrf = sign_in(sso_client, admin.email, admin.password)
    page = sso_client.get("/settings/sso")
    assert "s3cret" not in page.text
    assert CLIENT_ID in page.text
    bad = sso_client.post("/settings/sso/rules", data={"group_name": "g", "csrf_token": csrf})
    assert bad.status_code == 422
    no_csrf = sso_client.post("/settings/sso/rules", data={"group_name": "g",
                              "account_role": "manager"})  # fmt: skip
    assert no_csrf.status_code == 403
    r = sso_client.post("/settings/sso/rules", follow_redirects=False,
                        data={"group_name": "eng", "account_role": "manager", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 303
    rules = sso_client.get("/api/v1/sso/group-rules", headers=admin.auth).json()["items"]
    assert [(x["group_name"], x["account_role"]) for x in rules] == [("eng", "manager")]
    rid = rules[0]["id"]
    r = sso_client.post(f"/settings/sso/rules/{rid}", follow_redirects=False,
                        data={"group_name": "eng2", "account_role": "viewer", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 303
    assert events_of_type(db, "sso.group_rule_updated")[-1].data["group_name"] == {
        "from": "eng", "to": "eng2"}  # fmt: skip
    assert sso_client.get("/api/v1/sso/group-rules", headers=responder.auth).status_code == 403
    made = sso_client.post("/api/v1/sso/group-rules", headers=admin.auth,
                           json={"group_name": "ops", "account_role": "responder"})  # fmt: skip
    assert made.status_code == 201
    assert (
        sso_client.delete(f"/api/v1/sso/group-rules/{rid}", headers=admin.auth).status_code == 204
    )
    r = sso_client.post(f"/settings/sso/rules/{made.json()['id']}/delete",
                        data={"csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert sso_client.get("/api/v1/sso/group-rules", headers=admin.auth).json()["items"] == []


# ---------------------------------------------------------------- ID token checks


def _token(key: RSAKey, **claims: Any) -> str:
    now = int(time.time())
    base = {"iss": "https://idp", "aud": CLIENT_ID, "sub": "s", "nonce": "n",
            "iat": now, "exp": now + 300}  # fmt: skip
    return jwt.encode({"alg": "RS256", "kid": key.kid}, {**base, **claims}, key)


def _check(token: str, jwks: dict[str, Any], **kw: Any) -> dict[str, Any]:
    args = {"issuer": "https://idp", "client_id": CLIENT_ID, "nonce": "n",
            "now": int(time.time())} | kw  # fmt: skip
    return validate_id_token(token, jwks, **args)


def test_id_token_validation() -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "good"})
    jwks = {"keys": [key.as_dict(private=False)]}
    assert _check(_token(key), jwks)["sub"] == "s"
    forger = RSAKey.generate_key(2048, parameters={"kid": "good"})  # same kid, other key
    with pytest.raises(NotAuthenticated):
        _check(_token(forger), jwks)
    expired = _token(key, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)
    with pytest.raises(NotAuthenticated, match="exp"):
        _check(expired, jwks)
    for wrong in ({"iss": "https://evil"}, {"aud": "someone-else"}, {"nonce": "replayed"}):
        with pytest.raises(NotAuthenticated):
            _check(_token(key, **wrong), jwks)


def test_without_configuration_there_is_no_sso(client: TestClient) -> None:
    page = client.get("/login")
    assert "Sign in with" not in page.text
    assert 'name="password"' in page.text
    assert client.get("/auth/oidc/login", follow_redirects=False).status_code == 404
