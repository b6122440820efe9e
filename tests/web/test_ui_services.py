"""The service pages: list, create, show, edit, archive."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person
from muster.db.uow import Database
from muster.domain.catalog.models import Service
from ui_support import as_person, count, field_has_error, id_from_location, last_event


def _team(client: TestClient, csrf: str, name: str) -> str:
    r = client.post("/teams/new", data={"name": name, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    return id_from_location(r.headers["location"], "/teams/")


def _service(db: Database, service_id: str) -> Service:
    with db.unit_of_work(readonly=True) as uow:
        service = uow.session.get(Service, service_id)
        assert service is not None
        uow.session.expunge(service)
        return service


def _create(client: TestClient, csrf: str, team_id: str, name: str = "Checkout") -> str:
    r = client.post(
        "/services/new",
        data={
            "name": name,
            "description": "Takes the money",
            "team_id": team_id,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return id_from_location(r.headers["location"], "/services/")


def test_empty_states(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["manager"])
    r = client.get("/services")
    assert r.status_code == 200
    assert "No services yet" in r.text
    assert 'href="/services/new"' in r.text
    assert "No archived services" in client.get("/services?archived=1").text
    form = client.get("/services/new")
    assert form.status_code == 200
    assert "Create a team first" in form.text
    assert 'href="/teams/new"' in form.text


def test_viewer_and_responder_read_only(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    service_id = _create(client, csrf, _team(client, csrf, "Payments"))
    for role in ("viewer", "responder"):
        client.cookies.clear()
        csrf = as_person(client, people[role])
        listing = client.get("/services")
        assert "Checkout" in listing.text
        assert "/services/new" not in listing.text
        page = client.get(f"/services/{service_id}")
        assert page.status_code == 200
        assert "/edit" not in page.text
        assert "/archive" not in page.text
        assert client.get("/services/new").status_code == 403
        assert client.get(f"/services/{service_id}/edit").status_code == 403
        r = client.post(f"/services/{service_id}/edit", data={"name": "Pwned", "csrf_token": csrf})
        assert r.status_code == 403
        assert (
            client.post(f"/services/{service_id}/archive", data={"csrf_token": csrf}).status_code
            == 403
        )
    service = _service(db, service_id)
    assert (service.name, service.archived_at) == ("Checkout", None)


def test_manager_creates_a_service_owned_by_a_team(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _team(client, csrf, "Payments")
    form = client.get(f"/services/new?team_id={team_id}")
    assert f'<option value="{team_id}" selected>Payments</option>' in form.text
    service_id = _create(client, csrf, team_id)
    page = client.get(f"/services/{service_id}")
    assert page.status_code == 200
    assert f'href="/teams/{team_id}">Payments</a>' in page.text
    assert "Takes the money" in page.text
    assert "service.created" in page.text
    listing = client.get("/services").text
    assert f'href="/services/{service_id}">Checkout</a>' in listing
    assert f'href="/teams/{team_id}">Payments</a>' in listing
    assert f'href="/services/{service_id}">Checkout</a>' in client.get(f"/teams/{team_id}").text
    event = last_event(db, "service.created")
    assert (event.subject_id, event.via, event.data["team_id"]) == (service_id, "ui", team_id)


def test_form_errors_keep_what_was_typed(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _team(client, csrf, "Payments")
    _create(client, csrf, team_id, "Checkout")
    r = client.post(
        "/services/new",
        data={"name": "", "description": "desc kept", "team_id": team_id, "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "f-name")
    assert ">desc kept</textarea>" in r.text
    assert f'<option value="{team_id}" selected>' in r.text
    r = client.post("/services/new", data={"name": "Search", "team_id": "", "csrf_token": csrf})
    assert r.status_code == 422
    assert field_has_error(r.text, "f-team_id")
    assert 'value="Search"' in r.text
    r = client.post(
        "/services/new", data={"name": "CHECKOUT", "team_id": team_id, "csrf_token": csrf}
    )
    assert r.status_code == 409
    assert field_has_error(r.text, "f-name")
    assert "already taken" in r.text
    assert count(db, Service) == 1


def test_edit_moves_a_service_and_archive_hides_it(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    payments = _team(client, csrf, "Payments")
    platform = _team(client, csrf, "Platform")
    service_id = _create(client, csrf, payments)
    form = client.get(f"/services/{service_id}/edit")
    assert form.status_code == 200
    assert 'value="Checkout"' in form.text
    r = client.post(
        f"/services/{service_id}/edit",
        data={"name": "Checkout API", "description": "", "team_id": platform, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/services/{service_id}"
    service = _service(db, service_id)
    assert (service.name, service.team_id, service.description) == ("Checkout API", platform, "")
    event = last_event(db, "service.updated")
    assert event.via == "ui"
    assert event.data["team_id"] == {"from": payments, "to": platform}
    assert f'href="/teams/{platform}">Platform</a>' in client.get(f"/services/{service_id}").text
    r = client.post(
        f"/services/{service_id}/archive", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert _service(db, service_id).archived_at is not None
    assert last_event(db, "service.archived").via == "ui"
    assert "Checkout API" not in client.get("/services").text
    assert "Checkout API" in client.get("/services?archived=1").text


def test_services_filtered_by_team(client: TestClient, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["manager"])
    payments = _team(client, csrf, "Payments")
    platform = _team(client, csrf, "Platform")
    _create(client, csrf, payments, "Checkout")
    _create(client, csrf, platform, "Kubernetes")
    page = client.get(f"/services?team_id={platform}").text
    assert "Services of Platform" in page
    assert "Kubernetes" in page
    assert "Checkout" not in page


def test_csrf_less_create_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _team(client, csrf, "Payments")
    r = client.post("/services/new", data={"name": "Checkout", "team_id": team_id})
    assert r.status_code == 403
    assert count(db, Service) == 0


def test_unknown_service_is_404(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["viewer"])
    assert client.get("/services/nope").status_code == 404
