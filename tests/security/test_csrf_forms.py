"""CSRF: every state-changing route, reached with a signed-in browser's session cookie but
without the session's CSRF token (or with a wrong one), is refused with 403 and changes
nothing. Routes come from the route table, so a new form is covered as it lands."""

from __future__ import annotations

from authz_matrix import MATRIX
from fastapi.testclient import TestClient
from security_routes import endpoints
from sqlalchemy import func, select
from world import build_world, once_is_enough

from helpers import sign_in
from muster.db.uow import Database
from muster.domain.events.models import Event

# Not behind a session: signing in (there is no session yet) and capability links (the
# token in the path is the credential); ingest endpoints take an integration key.
NO_SESSION = {"POST /login", "POST /act/{token}"}


def event_count(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Event)) or 0)


def test_state_changes_without_the_csrf_token_are_refused(client: TestClient, db: Database) -> None:
    once_is_enough(db)
    world = build_world(client, db)
    admin = world.people["admin"]
    sign_in(client, admin.email, admin.password)
    before = event_count(db)
    targets = [
        e
        for e in endpoints(client.app)  # type: ignore[arg-type]
        if e.changes_state and e.kind in ("ui", "api") and e.key not in NO_SESSION
    ]
    assert len(targets) > 150
    wrong = []
    for endpoint in targets:
        url = endpoint.url(world.ids)
        attempts = [
            client.request(endpoint.method, url, data={"title": "x"}, follow_redirects=False),
            client.request(
                endpoint.method, url, data={"csrf_token": "forged"}, follow_redirects=False
            ),
            client.request(
                endpoint.method, url, headers={"X-CSRF-Token": "forged"}, follow_redirects=False
            ),
        ]
        wrong += [f"{endpoint.key} -> {r.status_code}" for r in attempts if r.status_code != 403]
    assert not wrong, "\n".join(wrong)
    assert event_count(db) == before  # nothing was recorded, so nothing changed
    # The session itself still works: the refusals were about the token, not the caller.
    assert client.get("/profile", follow_redirects=False).status_code == 200


def test_matrix_and_csrf_cover_the_same_routes() -> None:
    assert MATRIX.keys() >= NO_SESSION
