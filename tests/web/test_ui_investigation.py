"""/incidents/{id}/investigation and /observables: the page renders for viewers (no
forms) and responders, its forms add and change records (errors shown, nothing
changed), the technique picker takes a datalist entry, and the search page links back
and hides restricted incidents."""

from __future__ import annotations

import html as htmllib

from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person, make_person
from incident_ui_support import new_incident, post, text
from muster.db.uow import Database
from muster.domain.investigation.models import AffectedAsset, IncidentTechnique, Observable
from ui_support import as_person, count, field_has_error, last_event


def page_of(incident_id: str) -> str:
    return f"/incidents/{incident_id}/investigation"


def test_responder_adds_and_changes_observables(client: TestClient, db: Database) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    incident = new_incident(db, ic)
    csrf = as_person(client, ic)
    page = client.get(page_of(incident))
    assert page.status_code == 200
    assert f'href="/incidents/{incident}/investigation" aria-current="page"' in page.text
    r = post(client, csrf, page_of(incident) + "/observables", kind="ip", value="10.0.0.300",
             tlp="RED")  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "obs-value")
    assert count(db, Observable) == 0
    r = post(client, csrf, page_of(incident) + "/observables", kind="url",
             value="hxxps://evil[.]example[.]com/login", tlp="RED", ioc="1", tags="phish, c2")  # fmt: skip
    assert r.status_code == 303
    shown = client.get(r.headers["location"]).text
    assert "Observable added." in shown
    assert "https://evil.example.com/login" in shown
    assert "TLP:RED" in text(shown)
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.scalars(select(Observable)).one()
        assert (row.tlp, row.ioc, row.tags, row.source) == ("RED", True, ["phish", "c2"], "manual")
    r = post(client, csrf, page_of(incident) + f"/observables/{row.id}", tlp="GREEN",
             sighted="1", tags="phish")  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get_one(Observable, row.id)
        assert (row.tlp, row.ioc, row.sighted, row.tags) == ("GREEN", False, True, ["phish"])
    assert last_event(db, "incident.observable_changed").data["changes"]["tlp"]["to"] == "GREEN"
    r = post(client, csrf, page_of(incident) + f"/observables/{row.id}/remove")
    assert r.status_code == 303
    assert count(db, Observable) == 0


def test_assets_and_techniques_forms(client: TestClient, db: Database) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    incident = new_incident(db, ic)
    csrf = as_person(client, ic)
    r = post(client, csrf, page_of(incident) + "/assets", kind="camera", name="Lobby cam",
             identifier="CAM-7", status="tbd")  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        asset_id = uow.session.scalars(select(AffectedAsset.id)).one()
    r = post(client, csrf, page_of(incident) + f"/assets/{asset_id}/status", status="compromised",
             note="tampered")  # fmt: skip
    assert r.status_code == 303
    assert "Compromised" in client.get(page_of(incident)).text
    event = last_event(db, "incident.asset_status_changed")
    assert (event.data["status"], event.actor_label) == ("compromised", "ic@example.com")
    # The picker offers "T1059 Command and Scripting Interpreter" entries without JS.
    shown = client.get(page_of(incident)).text
    assert '<option value="T1059 Command and Scripting Interpreter">' in shown
    r = post(client, csrf, page_of(incident) + "/techniques",
             technique_id="T1078 Valid Accounts", tactic="", note="")  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "tech-tactic")
    r = post(client, csrf, page_of(incident) + "/techniques", technique_id="T1078 Valid Accounts",
             tactic="initial-access", observed_at="2026-01-05T08:30", note="VPN login")  # fmt: skip
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        tech = uow.session.scalars(select(IncidentTechnique)).one()
        assert (tech.technique_id, tech.tactic, tech.note) == ("T1078", "initial-access",
                                                                "VPN login")  # fmt: skip
        assert tech.observed_at is not None
    assert "Valid Accounts" in text(client.get(page_of(incident)).text)


def test_viewers_see_no_forms_and_outsiders_no_restricted_page(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    outsider = make_person(db, "responder", "outsider@example.com")
    open_one = new_incident(db, ic, title="Open one")
    secret = new_incident(db, ic, title="Secret one", restricted=True)
    csrf = as_person(client, ic)
    for incident in (open_one, secret):
        post(client, csrf, page_of(incident) + "/observables", kind="ip", value="192.0.2.55")
    shown = client.get(page_of(open_one)).text
    assert "1 other incident" in shown
    as_person(client, people["viewer"])
    shown = client.get(page_of(open_one)).text
    assert "192.0.2.55" in shown
    assert 'id="add-observable"' not in shown
    csrf = as_person(client, outsider)
    assert client.get(page_of(secret)).status_code == 404
    assert post(client, csrf, page_of(secret) + "/observables", kind="ip",
                value="1.1.1.1").status_code == 404  # fmt: skip
    found = client.get("/observables", params={"value": "192.0.2.55"}).text
    assert "Open one" in found
    assert "Secret one" not in found
    assert f'href="/incidents/{open_one}/investigation#observable-' in found


def test_search_page(client: TestClient, db: Database) -> None:
    ic = make_person(db, "responder", "ic@example.com")
    incident = new_incident(db, ic, title="Mail storm")
    csrf = as_person(client, ic)
    post(client, csrf, page_of(incident) + "/observables", kind="email", value="Bad@Evil.org")
    empty = client.get("/observables")
    assert empty.status_code == 200
    assert "Not seen" not in empty.text
    hit = client.get("/observables", params={"value": "BAD@evil.org", "kind": "email"})
    assert "Mail storm" in hit.text
    assert "bad@evil.org" in htmllib.unescape(hit.text)
    miss = client.get("/observables", params={"value": "nobody@evil.org"})
    assert "Not seen in any incident you can see." in miss.text
    bad = client.get("/observables", params={"value": "x", "kind": "ip"})
    assert bad.status_code == 422
    assert field_has_error(bad.text, "q-value")
