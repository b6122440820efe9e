"""The compliance pages: an incident's tab (apply a regime, record a fact in the
viewer's zone, submit with a document, explain a miss, remove a regime; errors shown
on the page, nothing changed) and /compliance across incidents."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from helpers import Person
from incident_ui_support import make_crew, new_incident, post, text
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.accounts.models import User
from muster.domain.compliance.models import ComplianceClock, ComplianceFact, IncidentRegime
from ui_support import as_person, count, field_has_error

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _zone(db: Database, person: Person, zone: str) -> None:
    with db.unit_of_work() as uow:
        uow.session.get_one(User, person.id).time_zone = zone
        uow.commit()


def _clock_id(db: Database, incident: str) -> str:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.query(ComplianceClock).filter_by(incident_id=incident).one()
        return row.id


def test_the_tab_applies_records_and_submits(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    crew = make_crew(db, people)
    _zone(db, crew.ic, "Europe/Paris")
    incident = new_incident(db, crew.ic)
    csrf = as_person(client, crew.ic)
    base = f"/incidents/{incident}/compliance"
    page = client.get(base)
    assert page.status_code == 200
    assert f'href="{base}" aria-current="page"' in page.text  # the tab
    assert '<a href="/compliance"' in page.text  # the nav entry
    assert "No regime applies yet" in page.text
    r = post(client, csrf, base + "/regimes", regime="gdpr-33", reason="customer emails leaked")
    assert (r.status_code, r.headers["location"]) == (303, base + "#regimes")
    # 09:30 in Paris is 08:30 UTC: due 72 hours later, 70.5 hours from now.
    r = post(client, csrf, base + "/facts", key="aware_at", at="2026-01-05T09:30", reason="SOC")
    assert r.status_code == 303
    with db.unit_of_work(readonly=True) as uow:
        fact = uow.session.query(ComplianceFact).filter_by(incident_id=incident).one()
        assert fact.at == datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    page = text(client.get(base).text)
    assert "Running" in page
    assert "2 d 23 h left" in page
    assert "72 hours from aware at" in page
    assert "2026-01-08 09:30 CET" in page  # due, in the viewer's zone
    clock_id = _clock_id(db, incident)
    body = b"the notification as sent"
    r = client.post(
        f"{base}/clocks/{clock_id}/submissions",
        data={"csrf_token": csrf, "recipient": "CNIL", "reference": "N-7", "submitted_at": ""},
        files={"document": ("notification.pdf", body, "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(base).text
    assert "Submitted" in text(page)
    assert "N-7" in page
    link = re.search(rf'href="({base}/submissions/[^"]+/document)"', page)
    assert link
    download = client.get(link.group(1))
    assert download.content == body
    assert download.headers["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()


def test_errors_show_on_the_page_and_change_nothing(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    crew = make_crew(db, people)
    incident = new_incident(db, crew.ic)
    csrf = as_person(client, crew.ic)
    base = f"/incidents/{incident}/compliance"
    r = post(client, csrf, base + "/regimes", regime="gdpr-33", reason="")
    assert r.status_code == 422
    assert field_has_error(r.text, "regime-reason")
    assert count(db, IncidentRegime) == 0
    post(client, csrf, base + "/regimes", regime="gdpr-33", reason="PII")
    r = post(client, csrf, base + "/facts", key="aware_at", at="yesterday", reason="x")
    assert r.status_code == 422
    assert field_has_error(r.text, "fact-at")
    r = post(client, csrf, base + "/facts", key="aware_at", at="2026-01-09T10:00", reason="x")
    assert r.status_code == 422
    assert field_has_error(r.text, "fact-at")
    assert count(db, ComplianceFact) == 0
    # Aware 80 hours ago: already missed. Late without a reason is refused.
    aware = (START - timedelta(hours=80)).strftime("%Y-%m-%dT%H:%M")
    post(client, csrf, base + "/facts", key="aware_at", at=aware, reason="found in logs")
    clock_id = _clock_id(db, incident)
    page = text(client.get(base).text)
    assert "Missed" in page
    assert "8 h 0 min overdue" in page
    assert "no reason recorded" in page
    r = client.post(
        f"{base}/clocks/{clock_id}/submissions",
        data={"csrf_token": csrf, "recipient": "CNIL"}, follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, f"submit-{clock_id}-late_reason")
    r = post(client, csrf, f"{base}/clocks/{clock_id}/miss-reason", reason="weekend, DPO away")
    assert r.status_code == 303
    page = text(client.get(base).text)
    assert "weekend, DPO away" in page
    assert "no reason recorded" not in page
    r = post(client, csrf, base + "/regimes/gdpr-33/remove", reason="")
    assert r.status_code == 422
    assert field_has_error(r.text, "remove-gdpr-33-reason")
    r = post(client, csrf, base + "/regimes/gdpr-33/remove", reason="anonymised data only")
    assert r.status_code == 303
    assert "Not applicable" in text(client.get(base).text)


def test_viewers_read_and_restricted_incidents_stay_hidden(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    crew = make_crew(db, people)
    incident = new_incident(db, crew.ic)
    csrf = as_person(client, crew.ic)
    post(client, csrf, f"/incidents/{incident}/compliance/regimes", regime="dora", reason="bank")
    secret = new_incident(db, crew.ic, restricted=True, title="Insider")
    post(client, csrf, f"/incidents/{secret}/compliance/regimes", regime="gdpr-33", reason="x")
    csrf = as_person(client, crew.viewer)
    page = client.get(f"/incidents/{incident}/compliance")
    assert page.status_code == 200
    assert "DORA" in page.text
    assert "Apply a regime" not in page.text
    r = post(client, csrf, f"/incidents/{incident}/compliance/regimes", regime="gdpr-33", reason="x")  # fmt: skip
    assert r.status_code == 403
    as_person(client, crew.outsider)
    assert client.get(f"/incidents/{secret}/compliance").status_code == 404


def test_the_compliance_page_lists_clocks_due_today_missed_and_by_regime(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    crew = make_crew(db, people)
    csrf = as_person(client, crew.ic)
    soon = new_incident(db, crew.ic, title="Due today")
    late = new_incident(db, crew.ic, title="Missed one")
    for incident, hours in ((soon, 70), (late, 80)):
        base = f"/incidents/{incident}/compliance"
        post(client, csrf, base + "/regimes", regime="gdpr-33", reason="PII")
        aware = (START - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")
        post(client, csrf, base + "/facts", key="aware_at", at=aware, reason="logs")
    page = client.get("/compliance")
    assert page.status_code == 200
    html = page.text
    today = html.split('id="due-today-table"')[1].split("</table>")[0]
    assert "Due today" in today
    assert "Missed one" not in today
    missed = html.split('id="missed-table"')[1].split("</table>")[0]
    assert "Missed one" in missed
    assert "no reason recorded" in missed
    assert re.search(r"GDPR art\. 33[^<]*</a></td><td>0</td><td>1</td><td>1</td>", html)
    dora = client.get("/compliance?regime=dora").text
    assert "Nothing is due today." in dora
    assert "Missed one" not in dora
