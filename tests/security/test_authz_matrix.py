"""The authorization matrix: every route the app answers x every role, anonymous callers
and a revoked token, against the decisions in ``authz_matrix.MATRIX``.

What counts:
- refused: 401 or 403, or (anonymous, browser page) a redirect to the sign-in page;
- allowed: any other answer below 500. Reads use ids that exist (a team, a service, an
  incident, a user); state-changing requests use ids that do not exist and send no body,
  so an allowed caller gets 404 or 422 and nothing changes, while a refused one is
  stopped before the route looks anything up.
- ``<role>:self`` routes are called with the caller's own user id (allowed from that
  role up) and with someone else's id (refused below admin, or below the role in
  ``OTHERS``); there a 422 is inconclusive (no body was sent, so the route never ran)
  and not counted.
- /live is a never-ending stream: only its refusals are checked here (its allowed side is
  tests/web/test_live.py). POST /login without a password answers 401 by design.
"""

from __future__ import annotations

from typing import Any

from authz_matrix import MATRIX, OTHERS
from fastapi.testclient import TestClient
from security_routes import Endpoint, endpoints
from world import ROLES, World, build_world, once_is_enough

from muster.db.uow import Database

CALLERS = ("anonymous", "revoked", *ROLES)
STREAMS = {"GET /live"}
QUERIES = {"GET /live": "?topics=incidents"}
# Wrong credentials: 401 for everyone; signing out always ends on the sign-in page.
REFUSES_BY_DESIGN = {"POST /login", "POST /logout"}


def refused(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "")
    return response.status_code == 303 and location.startswith("/login")


def expected_allowed(decision: str, caller: str) -> bool | None:
    """True/False for role decisions; None where the caller does not decide (keys)."""
    decision = decision.removesuffix(":self")
    if decision == "public":
        return True if caller != "revoked" else None
    if decision in ("link-token", "ingest-key"):
        return None
    if caller in ("anonymous", "revoked"):
        return False
    return ROLES.index(caller) >= ROLES.index(decision)


def check(
    client: TestClient, world: World, endpoint: Endpoint, caller: str, about_other: bool = False
) -> str | None:
    """A description of what is wrong with ``caller`` calling ``endpoint``, or None.

    ``about_other``: for ``:self`` routes, call about someone else (refused below admin).
    """
    decision = MATRIX[endpoint.key]
    allowed = expected_allowed(decision, caller)
    if about_other:
        allowed = ROLES.index(caller) >= ROLES.index(OTHERS.get(endpoint.key, "admin"))
    if endpoint.key in STREAMS and allowed:
        return None
    ids = {} if endpoint.changes_state else dict(world.ids)
    if decision.endswith(":self") and caller in world.people:
        own = world.people[caller].id
        other = world.people["admin" if caller != "admin" else "viewer"].id
        ids["user_id"] = ids["subject_id"] = other if about_other else own
    url = endpoint.url(ids) + QUERIES.get(endpoint.key, "")
    if endpoint.kind == "mount":
        url = endpoint.path.replace("{file_path}", "muster.css" if "static" in url else "x.js")
    response = client.request(
        endpoint.method, url, headers=world.headers(caller), follow_redirects=False
    )
    got = f"{caller} {endpoint.method} {url} -> {response.status_code}"
    if response.status_code >= 500:
        return f"{got}: server error {response.text[:200]}"
    if decision in ("link-token", "ingest-key"):
        return None if 400 <= response.status_code < 500 else f"{got}: a made-up key passed"
    if allowed is True and refused(response) and endpoint.key not in REFUSES_BY_DESIGN:
        return f"{got}: refused, but the matrix says {decision}"
    if about_other and response.status_code == 422:
        return None
    if allowed is False and not refused(response):
        return f"{got}: allowed, but the matrix says {decision}"
    return None


def test_every_route_has_a_decision(client: TestClient) -> None:
    keys = {e.key for e in endpoints(client.app)}  # type: ignore[arg-type]
    missing = sorted(keys - MATRIX.keys())
    stale = sorted(MATRIX.keys() - keys)
    assert not missing, f"routes without an authorization decision in authz_matrix.py: {missing}"
    assert not stale, f"authz_matrix.py lists routes the app no longer has: {stale}"
    decisions = {d.removesuffix(":self") for d in MATRIX.values()}
    assert decisions <= {*ROLES, "public", "link-token", "ingest-key"}


def test_every_route_by_every_caller(client: TestClient, db: Database) -> None:
    once_is_enough(db)
    world = build_world(client, db)
    problems: list[str | None] = []
    for caller in CALLERS:
        for endpoint in endpoints(client.app):  # type: ignore[arg-type]
            if endpoint.key in MATRIX:
                problems.append(check(client, world, endpoint, caller))
                if MATRIX[endpoint.key].endswith(":self") and caller in world.people:
                    problems.append(check(client, world, endpoint, caller, about_other=True))
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)
