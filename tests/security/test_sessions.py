"""Session fixation and signing out: each sign-in gets a new session id, a cookie from
before sign-in never becomes the signed-in session, a signed-out cookie is refused, and
API tokens do not depend on any browser session."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person, csrf_from, sign_in
from muster.web.auth import SESSION_COOKIE


def cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "no session cookie"
    return value


def signed_in_as(client: TestClient, session: str | None) -> str | None:
    """The email /api/v1/me reports for a request carrying only ``session``."""
    client.cookies.clear()
    if session:
        client.cookies.set(SESSION_COOKIE, session)
    r = client.get("/api/v1/me")
    return r.json()["email"] if r.status_code == 200 else None


def test_each_sign_in_gets_a_new_session(client: TestClient, people: dict[str, Person]) -> None:
    viewer = people["viewer"]
    sign_in(client, viewer.email, viewer.password)
    first = cookie(client)
    sign_in(client, viewer.email, viewer.password)  # signing in again, over the old cookie
    second = cookie(client)
    assert first != second
    assert signed_in_as(client, second) == viewer.email


def test_a_planted_cookie_never_becomes_the_victims_session(
    client: TestClient, people: dict[str, Person]
) -> None:
    attacker, victim = people["responder"], people["manager"]
    sign_in(client, attacker.email, attacker.password)
    planted = cookie(client)
    # The victim signs in on a browser that carries the attacker's cookie.
    sign_in(client, victim.email, victim.password)
    theirs = cookie(client)
    assert theirs != planted
    assert signed_in_as(client, theirs) == victim.email
    assert signed_in_as(client, planted) == attacker.email  # still only the attacker's
    # Made-up or tampered cookies are nobody.
    assert signed_in_as(client, "made-up") is None
    assert signed_in_as(client, theirs[:-2] + ("AA" if not theirs.endswith("AA") else "BB")) is None
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_after_sign_out_the_old_cookie_is_refused(
    client: TestClient, people: dict[str, Person]
) -> None:
    person = people["responder"]
    csrf = sign_in(client, person.email, person.password)
    old = cookie(client)
    # Signing out is a state change: without the CSRF token it is refused.
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert signed_in_as(client, old) == person.email
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "max-age=0" in r.headers["set-cookie"].lower()  # the browser drops it
    assert signed_in_as(client, old) is None
    client.cookies.set(SESSION_COOKIE, old)
    r = client.get("/incidents", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    assert client.post("/api/v1/teams", json={"name": "After"}).status_code == 401
    # The person's API token works throughout, with or without a browser session.
    client.cookies.clear()
    assert client.get("/api/v1/me", headers=person.auth).json()["email"] == person.email
    # Signing in again works and yields a fresh session with a fresh CSRF token.
    new_csrf = sign_in(client, person.email, person.password)
    assert cookie(client) != old
    assert new_csrf != csrf
    assert csrf_from(client.get("/profile").text) == new_csrf


def test_api_tokens_do_not_end_browser_sessions(
    client: TestClient, people: dict[str, Person]
) -> None:
    person = people["manager"]
    sign_in(client, person.email, person.password)
    session = cookie(client)
    # A bearer-token call to sign out ends no browser session (and is no server error).
    r = client.post("/logout", headers=person.auth, follow_redirects=False)
    assert r.status_code == 303
    assert signed_in_as(client, session) == person.email
