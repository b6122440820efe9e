"""Login CSRF: the password sign-in form carries a nonce that must match the signed
cookie the sign-in page set in the same browser. Without it, with a wrong one, with
another browser's, or with a forged cookie, nobody is signed in (403); with the right
one the session starts, recording the client's address."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person, csrf_from, post_login
from muster.db.uow import Database
from muster.domain.accounts.models import WebSession
from muster.web.auth import SESSION_COOKIE
from muster.web.ui.login_csrf import LOGIN_CSRF_COOKIE
from ui_support import count

STALE = "this sign-in form has expired or did not come from this site"


def credentials(person: Person) -> dict[str, str]:
    return {"email": person.email, "password": person.password, "next": "/teams"}


def refused_without_a_session(client: TestClient, db: Database, answer: object) -> None:
    assert getattr(answer, "status_code", None) == 403
    assert STALE in getattr(answer, "text", "")
    assert SESSION_COOKIE not in client.cookies
    assert count(db, WebSession) == 0
    assert client.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_login_without_or_with_a_wrong_token_signs_nobody_in(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = credentials(people["responder"])
    refused_without_a_session(client, db, client.post("/login", data=me))  # no token, no cookie

    token = csrf_from(client.get("/login").text)
    for wrong in ("", "forged", token + "x", "é" * 10):
        refused_without_a_session(
            client, db, client.post("/login", data={**me, "csrf_token": wrong})
        )

    # The attack: the attacker's own valid pair, posted from the victim's browser.
    attacker = TestClient(client.app)  # another browser, its own cookie jar
    attackers_token = csrf_from(attacker.get("/login").text)
    assert attackers_token != csrf_from(client.get("/login").text)
    refused_without_a_session(
        client, db, client.post("/login", data={**me, "csrf_token": attackers_token})
    )

    # A cookie the server did not sign is worth nothing, even when it matches the field.
    client.cookies.clear()
    client.cookies.set(LOGIN_CSRF_COOKIE, "chosen-by-attacker", path="/login")
    refused_without_a_session(
        client, db, client.post("/login", data={**me, "csrf_token": "chosen-by-attacker"})
    )
    # A token with no cookie at all.
    client.cookies.clear()
    refused_without_a_session(client, db, client.post("/login", data={**me, "csrf_token": token}))


def test_login_with_the_pages_token_signs_in_from_the_clients_address(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    page = client.get("/login")
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{LOGIN_CSRF_COOKIE}=")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/login"} <= attributes
    token = csrf_from(page.text)
    assert token not in cookie  # the cookie holds it signed, not bare
    assert csrf_from(client.get("/login").text) == token  # a second tab gets the same nonce

    answer = client.post("/login", data={**credentials(people["manager"]), "csrf_token": token},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/teams"
    assert SESSION_COOKIE in client.cookies
    assert LOGIN_CSRF_COOKIE not in client.cookies  # the nonce has served
    with db.unit_of_work(readonly=True) as uow:
        session = uow.session.query(WebSession).one()
        assert session.user_id == people["manager"].id
        assert session.ip == "testclient"
    assert client.get("/profile", follow_redirects=False).status_code == 200


def test_a_wrong_password_shows_a_form_that_works_on_the_next_try(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["viewer"]
    wrong = post_login(client, {"email": me.email, "password": "not it"})
    assert wrong.status_code == 401
    assert "wrong email or password" in wrong.text
    assert count(db, WebSession) == 0
    retry = client.post(
        "/login",
        data={"email": me.email, "password": me.password, "csrf_token": csrf_from(wrong.text)},
        follow_redirects=False,
    )
    assert retry.status_code == 303
    assert count(db, WebSession) == 1


def test_a_refused_form_hands_out_a_fresh_token_and_bearer_tokens_need_none(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["admin"]
    stale = client.post("/login", data={"email": me.email, "password": me.password})
    assert stale.status_code == 403
    assert 'name="password"' in stale.text  # the form again, ready to post
    again = client.post("/login", data={"email": me.email, "password": me.password,
                                        "csrf_token": csrf_from(stale.text)},
                        follow_redirects=False)  # fmt: skip
    assert again.status_code == 303
    # API callers never meet the sign-in form.
    api = TestClient(client.app)
    assert api.get("/api/v1/me", headers=me.auth).status_code == 200
