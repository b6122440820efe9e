"""Incident settings over the API (/api/v1/severity-levels, /incident-types,
/incident-role-types) and the admin page /settings/incidents: everyone reads, admins
edit, bad input is a 4xx naming the field and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person
from muster.db.uow import Database
from muster.domain.incidents.models import IncidentRoleType, IncidentType, SeverityLevel
from ui_support import as_person, count, field_has_error, last_event

LEVELS = "/api/v1/severity-levels"
TYPES = "/api/v1/incident-types"
ROLES = "/api/v1/incident-role-types"


def _level(db: Database, level: int) -> SeverityLevel:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(SeverityLevel, level)
        uow.session.expunge(row)
        return row


def _errors(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    return [e["field"] for e in body.get("errors", [])]


# ---------------------------------------------------------------- API


def test_everyone_reads_the_definitions(client: TestClient, people: dict[str, Person]) -> None:
    viewer = people["viewer"].auth
    levels = client.get(LEVELS, headers=viewer).json()["items"]
    assert [(lv["name"], lv["update_cadence_minutes"], lv["requires_commander"]) for lv in levels] == [
        ("SEV1", 30, True), ("SEV2", 60, True), ("SEV3", 240, False), ("SEV4", None, False),
        ("SEV5", None, False),
    ]  # fmt: skip
    assert client.get(f"{LEVELS}/2", headers=viewer).json()["label"] == "Major"
    assert client.get(f"{LEVELS}/9", headers=viewer).status_code == 422
    types = client.get(TYPES, headers=viewer).json()["items"]
    assert {t["key"] for t in types} >= {"operational", "security", "physical_security"}
    assert next(t for t in types if t["key"] == "security")["restricted_by_default"] is True
    roles = client.get(ROLES, headers=viewer).json()["items"]
    assert roles[0]["key"] == "commander"
    assert roles[0]["instructions"]
    assert client.get(LEVELS).status_code == 401


def test_only_an_admin_edits_and_bad_input_names_the_field(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin, manager = people["admin"].auth, people["manager"].auth
    assert client.patch(f"{LEVELS}/1", json={"label": "Big"}, headers=manager).status_code == 403
    bad = [
        ({"update_cadence_minutes": 0}, "update_cadence_minutes"),
        ({"label": ""}, "label"),
        ({"requires_commander": "maybe"}, "requires_commander"),
        ({"severity": 1}, "severity"),
    ]
    for body, field in bad:
        r = client.patch(f"{LEVELS}/1", json=body, headers=admin)
        assert r.status_code == 422, body
        assert _errors(r) == [field]
    assert _level(db, 1).label == "Critical"
    r = client.patch(
        f"{LEVELS}/1", json={"update_cadence_minutes": 15, "label": "Severe"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert (r.json()["label"], r.json()["update_cadence_minutes"]) == ("Severe", 15)
    event = last_event(db, "severity_level.updated")
    assert event.data["changes"]["update_cadence_minutes"] == {"from": 30, "to": 15}
    r = client.patch(f"{LEVELS}/1", json={"update_cadence_minutes": None}, headers=admin)
    assert r.json()["update_cadence_minutes"] is None


def test_types_and_roles_over_the_api(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin, responder = people["admin"].auth, people["responder"].auth
    new = {"key": "fraud", "name": "Fraud", "restricted_by_default": True}
    assert client.post(TYPES, json=new, headers=responder).status_code == 403
    r = client.post(TYPES, json={**new, "key": "Fraud!"}, headers=admin)
    assert r.status_code == 422
    assert _errors(r) == ["key"]
    r = client.post(TYPES, json=new, headers=admin)
    assert r.status_code == 201, r.text
    fraud = r.json()
    assert r.headers["location"] == f"{TYPES}/{fraud['id']}"
    assert (fraud["builtin"], fraud["restricted_by_default"]) == (False, True)
    r = client.post(TYPES, json=new, headers=admin)
    assert r.status_code == 409
    assert _errors(r) == ["key"]
    r = client.patch(f"{TYPES}/{fraud['id']}", json={"name": "Fraud and abuse"}, headers=admin)
    assert r.json()["name"] == "Fraud and abuse"
    r = client.patch(f"{TYPES}/{fraud['id']}", json={"key": "abuse"}, headers=admin)
    assert r.status_code == 422
    assert _errors(r) == ["key"]  # the key is fixed
    assert client.post(f"{TYPES}/{fraud['id']}/archive", headers=admin).json()["archived_at"]
    assert "fraud" not in {t["key"] for t in client.get(TYPES, headers=admin).json()["items"]}
    archived = client.get(f"{TYPES}?archived=true", headers=admin).json()["items"]
    assert "fraud" in {t["key"] for t in archived}
    assert (
        client.post(f"{TYPES}/{fraud['id']}/restore", headers=admin).json()["archived_at"] is None
    )
    security = next(t for t in archived if t["key"] == "security")
    r = client.post(f"{TYPES}/{security['id']}/archive", headers=admin)
    assert r.status_code == 409
    assert "built-in" in r.json()["detail"]
    assert client.get(f"{TYPES}/nope", headers=admin).status_code == 404

    r = client.post(ROLES, json={"key": "liaison", "name": "Liaison", "position": 2000},
                    headers=admin)  # fmt: skip
    assert r.status_code == 422
    assert _errors(r) == ["position"]
    r = client.post(ROLES, json={"key": "liaison", "name": "Liaison", "instructions": "Call."},
                    headers=admin)  # fmt: skip
    assert r.status_code == 201
    liaison = r.json()
    r = client.patch(f"{ROLES}/{liaison['id']}", json={"instructions": "Call key accounts."},
                     headers=admin)  # fmt: skip
    assert r.json()["instructions"] == "Call key accounts."
    assert last_event(db, "incident_role_type.updated").data["changes"]["instructions"]["to"] == (
        "Call key accounts."
    )
    assert client.post(f"{ROLES}/{liaison['id']}/archive", headers=responder).status_code == 403
    assert count(db, IncidentRoleType, IncidentRoleType.archived_at.is_not(None)) == 0


# ---------------------------------------------------------------- the admin page


def test_the_settings_page_is_for_admins(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["manager"])
    assert client.get("/settings/incidents").status_code == 403
    as_person(client, people["admin"])
    r = client.get("/settings/incidents")
    assert r.status_code == 200
    for text in ("SEV1", "every 30 min", "Physical security", "Incident Commander",
                 'href="/settings/incidents/severities/1"'):  # fmt: skip
        assert text in r.text


def test_editing_a_severity_on_the_page(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    page = client.get("/settings/incidents/severities/3")
    assert 'value="240"' in page.text
    r = client.post(
        "/settings/incidents/severities/3",
        data={"label": "Moderate", "description": "Minor impact.", "update_cadence_minutes": "3",
              "csrf_token": csrf},
    )  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-update_cadence_minutes")
    assert "Update cadence" in r.text  # the summary names the field
    assert _level(db, 3).update_cadence_minutes == 240
    r = client.post(
        "/settings/incidents/severities/3",
        data={"label": "Moderate", "description": "Minor impact.", "update_cadence_minutes": "",
              "requires_commander": "1", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == "/settings/incidents#severities"
    row = _level(db, 3)
    assert (row.description, row.update_cadence_minutes, row.requires_commander) == (
        "Minor impact.", None, True)  # fmt: skip
    # Unticking the box turns it off again.
    client.post("/settings/incidents/severities/3", data={
        "label": "Moderate", "description": "Minor impact.", "update_cadence_minutes": "120",
        "csrf_token": csrf})  # fmt: skip
    assert (_level(db, 3).requires_commander, _level(db, 3).update_cadence_minutes) == (False, 120)
    r = client.post("/settings/incidents/severities/3", data={"label": "X"})
    assert r.status_code == 403  # no CSRF token


def test_adding_and_archiving_a_type_and_a_role_on_the_page(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    r = client.post("/settings/incidents/types/new",
                    data={"key": "bad key", "name": "", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-key")
    assert field_has_error(r.text, "f-name")
    r = client.post(
        "/settings/incidents/types/new",
        data={"key": "supplier", "name": "Supplier outage", "restricted_by_default": "1",
              "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        from sqlalchemy import select

        kind = uow.session.scalars(select(IncidentType).where(IncidentType.key == "supplier")).one()
        assert kind.restricted_by_default is True
        kind_id = kind.id
    r = client.post(f"/settings/incidents/types/{kind_id}",
                    data={"name": "Operational", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 409
    assert field_has_error(r.text, "f-name")
    r = client.post(f"/settings/incidents/types/{kind_id}/archive", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert "Restore" in client.get("/settings/incidents").text
    r = client.post(
        "/settings/incidents/roles/new",
        data={"key": "liaison", "name": "Liaison", "instructions": "Call key accounts.",
              "position": "35", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    assert "Call key accounts." in client.get("/settings/incidents").text
    r = client.post("/settings/incidents/roles/new",
                    data={"key": "x", "name": "X", "position": "soon", "csrf_token": csrf})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "f-position")
