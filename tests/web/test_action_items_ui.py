"""/incidents/{id}/action-items (the partial R1's review tab includes), its forms (errors
shown, nothing changed), and /action-items: open items by team and age, filters,
overdue shown by colour and text, CSV export, restricted incidents hidden."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person, make_person
from incident_ui_support import new_incident, post, text
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.reviews.action_models import ActionItem
from ui_support import as_person, count, field_has_error


def page_of(incident_id: str) -> str:
    return f"/incidents/{incident_id}/action-items"


def test_responder_adds_and_changes_items(client: TestClient, db: Database) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    incident = new_incident(db, ic)
    csrf = as_person(client, ic)
    page = client.get(page_of(incident))
    assert page.status_code == 200
    assert f'href="/incidents/{incident}/action-items" aria-current="page"' in page.text
    assert "No action items yet." in page.text
    r = post(client, csrf, page_of(incident), title="", kind="detect")
    assert r.status_code == 422
    assert field_has_error(r.text, "ai-title")
    r = post(client, csrf, page_of(incident), title="Disk alert", kind="detect",
             owner="nobody@example.com")  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "ai-owner")
    assert count(db, ActionItem) == 0
    r = post(client, csrf, page_of(incident), title="Disk alert", kind="detect", priority="P1",
             owner="ic@example.com", due_on="2026-01-02", tracker_url="https://t.example/OPS-9",
             tracker_key="OPS-9", back=f"/incidents/{incident}/review")  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/incidents/{incident}/review?saved=added")
    with db.unit_of_work(readonly=True) as uow:
        item = uow.session.scalars(select(ActionItem)).one()
        assert (item.owner_id, item.priority, item.tracker_key) == (ic.id, "P1", "OPS-9")
    shown = client.get(page_of(incident)).text
    assert "is-overdue" in shown
    assert "overdue" in text(shown)  # by text as well as colour
    assert 'href="https://t.example/OPS-9"' in shown
    r = post(client, csrf, f"/action-items/{item.id}", status="wont_do", wont_do_reason="",
             back="https://evil.example/")  # fmt: skip
    assert r.status_code == 422
    assert "say why it won" in r.text
    r = post(client, csrf, f"/action-items/{item.id}", status="done", owner="ic@example.com",
             due_on="2026-01-02", priority="P1", back="https://evil.example/")  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"].startswith(page_of(incident))  # not the foreign "back"
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.get_one(ActionItem, item.id).status == "done"


def test_viewers_read_without_forms(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    incident = new_incident(db, ic)
    csrf = as_person(client, ic)
    post(client, csrf, page_of(incident), title="Runbook", kind="process")
    viewer_csrf = as_person(client, people["viewer"])
    shown = client.get(page_of(incident)).text
    assert "Runbook" in shown
    assert "Add an action item" not in shown
    r = post(client, viewer_csrf, page_of(incident), title="Nope", kind="process")
    assert r.status_code == 403
    assert count(db, ActionItem) == 1


def test_board_by_team_and_age_with_csv_and_hiding(
    client: TestClient, db: Database, clock: ManualClock
) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    outsider = make_person(db, "responder", "out@example.com")
    public = new_incident(db, ic)
    secret = new_incident(db, ic, restricted=True)
    csrf = as_person(client, ic)
    post(client, csrf, page_of(public), title="=HYPERLINK(1)", kind="prevent", due_on="2026-01-05")
    clock.advance(days=40)
    csrf = as_person(client, ic)  # the session expired meanwhile
    post(client, csrf, page_of(secret), title="Secret fix", kind="mitigate")
    board = client.get("/action-items")
    assert board.status_code == 200
    words = text(board.text)
    assert "No team" in words
    assert "1 overdue" in words
    assert "Secret fix" in words
    young = client.get("/action-items?age=0-7").text
    assert "Secret fix" in young
    assert "HYPERLINK" not in young
    exported = client.get("/action-items.csv?age=31-90")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:3] == ["key", "incident_ref", "title"]
    assert [r[2] for r in rows[1:]] == ["'=HYPERLINK(1)"]  # neutralised formula
    as_person(client, outsider)
    assert "Secret fix" not in client.get("/action-items").text
    assert "Secret fix" not in client.get("/action-items.csv").text
    assert client.get(page_of(secret)).status_code == 404
