"""The routing rules page: read by everyone, edited by managers; a rule made through the
form applies to the next alert."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from alert_support import alert_by_summary, make_integration, make_service, send
from helpers import Person
from muster.db.uow import Database
from muster.domain.alerts.models import RoutingRule
from ui_support import as_person, count, events_of_type, field_has_error


def _rules(db: Database) -> list[RoutingRule]:
    with db.unit_of_work(readonly=True) as uow:
        rows = list(uow.session.scalars(select(RoutingRule).order_by(RoutingRule.position)))
        uow.session.expunge_all()
        return rows


def _rule_form(name: str, **extra: str) -> dict[str, str]:
    return {"name": name, "enabled": "1", "match": "all", **extra}


def test_empty_state_and_blank_form(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["viewer"])
    page = client.get("/routing-rules")
    assert page.status_code == 200
    assert "No routing rules" in page.text
    assert "Ask a manager" in page.text
    assert client.get("/routing-rules/new").status_code == 403
    client.cookies.clear()
    as_person(client, people["manager"])
    form = client.get("/routing-rules/new").text
    for i in range(5):  # at least five blank condition rows, no JavaScript needed
        assert f'name="cond-{i}-field"' in form
    assert 'name="cond-5-field"' not in form


def test_rule_with_two_conditions_routes_the_next_alert(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    checkout = make_service(client, people["manager"], "checkout")
    storage = make_service(client, people["manager"], "storage")
    key = make_integration(client, people["manager"], checkout)["key"]
    csrf = as_person(client, people["manager"])
    data = _rule_form(
        "Disks go to storage",
        **{"cond-0-field": "summary", "cond-0-op": "contains", "cond-0-value": "disk",
           "cond-2-field": "labels.env", "cond-2-op": "equals", "cond-2-value": "prod",
           "route_to_service_id": storage, "set_severity": "error", "add_labels": "team = storage\nrouted=yes",
           "csrf_token": csrf},
    )  # fmt: skip
    r = client.post("/routing-rules/new", data=data, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/routing-rules")
    (rule,) = _rules(db)
    assert rule.conditions == [
        {"field": "summary", "op": "contains", "value": "disk"},
        {"field": "labels.env", "op": "equals", "value": "prod"},
    ]
    assert rule.actions["add_labels"] == {"team": "storage", "routed": "yes"}
    page = client.get("/routing-rules").text
    assert "Disks go to storage" in page
    assert f'route to <a href="/services/{storage}">storage</a>' in page
    assert "<code>labels.env</code> equals <code>prod</code>" in page

    # "all": one condition holding is not enough (PagerDuty events carry no labels).
    send(client, key, "Disk full on db-1", severity="warning")
    assert alert_by_summary(db, "Disk full on db-1").service_id == checkout

    # Edited to two conditions that hold: routed, re-graded and labelled.

    r = client.post(f"/routing-rules/{rule.id}/edit", data=_rule_form(
        "Disks go to storage",
        **{"cond-0-field": "summary", "cond-0-op": "contains", "cond-0-value": "disk",
           "cond-1-field": "severity", "cond-1-op": "severity_at_least", "cond-1-value": "warning",
           "route_to_service_id": storage, "set_severity": "error", "add_labels": "team = storage",
           "csrf_token": csrf},
    ), follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    send(client, key, "Disk full on db-2", severity="warning")
    send(client, key, "Disk check ok", severity="info")
    routed = alert_by_summary(db, "Disk full on db-2")
    assert routed.service_id == storage
    assert routed.severity == "error"
    assert routed.labels["team"] == "storage"
    assert alert_by_summary(db, "Disk check ok").service_id == checkout
    assert events_of_type(db, "routing_rule.updated")


def test_errors_are_shown_on_their_row(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    data = _rule_form(
        "Broken",
        **{"cond-0-field": "summary", "cond-0-op": "contains", "cond-0-value": "x",
           "cond-3-field": "summary", "cond-3-op": "regex", "cond-3-value": "(unclosed",
           "cond-4-field": "colour", "cond-4-op": "equals", "cond-4-value": "red",
           "add_labels": "no equals sign", "csrf_token": csrf},
    )  # fmt: skip
    r = client.post("/routing-rules/new", data=data)
    assert r.status_code == 422
    assert "invalid regular expression" in r.text
    assert 'id="f-cond-3-error"' in r.text
    assert 'id="f-cond-4-error"' in r.text
    assert 'id="f-cond-0-error"' not in r.text
    assert 'value="(unclosed"' in r.text  # what was typed is kept
    r = client.post("/routing-rules/new", data={**data, "add_labels": "a=b"})
    assert "Condition 4" in r.text  # the summary names the row
    r = client.post("/routing-rules/new", data=_rule_form("Nothing", csrf_token=csrf))
    assert r.status_code == 422
    assert 'id="f-conditions"' in r.text
    r = client.post("/routing-rules/new", data=_rule_form("x", **{"cond-0-field": "summary",
                    "cond-0-op": "exists", "add_labels": "oops", "csrf_token": csrf}))  # fmt: skip
    assert field_has_error(r.text, "f-add_labels")
    assert count(db, RoutingRule) == 0


def test_move_delete_and_read_only(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    for name in ("First", "Second", "Third"):
        client.post("/routing-rules/new", data=_rule_form(name, **{"cond-0-field": "source",
                    "cond-0-op": "exists", "csrf_token": csrf}))  # fmt: skip
    assert [r.name for r in _rules(db)] == ["First", "Second", "Third"]
    third = _rules(db)[2]
    r = client.post(f"/routing-rules/{third.id}/move", data={"direction": "up", "csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == f"/routing-rules#rule-{third.id}"
    assert [r.name for r in _rules(db)] == ["First", "Third", "Second"]
    client.post(f"/routing-rules/{third.id}/move", data={"direction": "up", "csrf_token": csrf})
    client.post(f"/routing-rules/{third.id}/move", data={"direction": "up", "csrf_token": csrf})
    assert [r.name for r in _rules(db)] == ["Third", "First", "Second"]
    page = client.get("/routing-rules").text
    assert page.index(">Third<") < page.index(">First<") < page.index(">Second<")
    assert re.search(r'aria-label="Move Third up" disabled', page)

    first = _rules(db)[1]
    r = client.post(f"/routing-rules/{first.id}/delete", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert [r.name for r in _rules(db)] == ["Third", "Second"]
    assert events_of_type(db, "routing_rule.deleted")
    assert 'data-confirm="Delete the rule Second?"' in client.get("/routing-rules").text

    client.cookies.clear()
    csrf = as_person(client, people["responder"])
    page = client.get("/routing-rules").text
    assert "Third" in page
    assert "/edit" not in page
    assert "/delete" not in page
    rule = _rules(db)[0]
    assert client.get(f"/routing-rules/{rule.id}/edit").status_code == 403
    r = client.post(f"/routing-rules/{rule.id}/delete", data={"csrf_token": csrf})
    assert r.status_code == 403
    r = client.post(
        f"/routing-rules/{rule.id}/move", data={"direction": "down", "csrf_token": csrf}
    )
    assert r.status_code == 403
    assert count(db, RoutingRule) == 2
