"""One incident, whole: the JSON export (every section, RFC 3339 UTC times), the HTML
report (screen and download) and its PDF; restricted incidents only for those allowed;
each export an ``incident.exported`` event."""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from compliance_support import apply, clock_of, fact, submit
from helpers import Person, make_person
from incident_support import actor_for, declare, incident_events
from muster.clock import ManualClock
from muster.config import Settings
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team
from muster.domain.compliance.evidence import do_add_external
from muster.domain.compliance.evidence_access import do_transfer
from muster.domain.compliance.evidence_schemas import ExternalIn, TransferIn
from muster.domain.incidents import notes, tasks
from muster.domain.incidents.report import SECTIONS
from muster.domain.incidents.task_schemas import TaskIn
from muster.domain.investigation.assets import do_add_asset
from muster.domain.investigation.observables import do_add_observable
from muster.domain.investigation.schemas import AssetIn, ObservableIn, TechniqueIn
from muster.domain.investigation.techniques import do_add_technique
from muster.web.app import create_app
from muster.web.context import AppContext
from ui_support import as_person

API = "/api/v1/incidents"
CHROMIUM = Path("/usr/bin/chromium")
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
LOOKS_LIKE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Scene:
    sec: Person  # on the security team: sees the restricted incident
    outsider: Person
    viewer: Person
    admin: Person
    secret: str  # restricted, with a clock, evidence, an observable ...
    evidence_id: str


@pytest.fixture
def scene(db: Database, clock: ManualClock, people: dict[str, Person]) -> Scene:
    sec = make_person(db, "responder", "sec@example.com")
    outsider = make_person(db, "responder", "outsider@example.com")
    with db.unit_of_work() as uow:
        team = do_create_team(uow, actor_for(db, people["admin"].id), TeamCreate(name="Security"))
        team.sees_restricted = True
        do_add_team_member(
            uow, actor_for(db, people["admin"].id), team.id,
            MemberAdd(user_id=sec.id, role="member"),
        )  # fmt: skip
        uow.commit()
    actor = actor_for(db, sec.id)
    secret = declare(db, actor, title="Credential stuffing", type="security", restricted=True)
    with db.unit_of_work() as uow:
        notes.do_add_note(uow, actor, secret, "Blocked **203.0.113.7** at the edge")
        tasks.do_create_task(uow, actor, secret, TaskIn(title="Rotate keys"))
        item = do_add_external(
            uow, actor, secret,
            ExternalIn(uri="s3://evidence/disk.img", sha256=SHA, size=4096, title="Disk image"),
        )  # fmt: skip
        do_transfer(uow, actor, item.id, TransferIn(to="Lab", reason="imaging"))
        do_add_observable(
            uow, actor, secret,
            ObservableIn(kind="ip", value="198.51.100.23", tlp="RED", ioc=True, tags=["edge"]),
        )  # fmt: skip
        do_add_asset(uow, actor, secret, AssetIn(kind="host", name="web-7", status="compromised"))
        do_add_technique(uow, actor, secret, TechniqueIn(technique_id="T1110.004"))
        uow.commit()
        evidence_id = item.id
    apply(db, actor, secret, "gdpr-33")
    fact(db, actor, secret, "aware_at", at=clock.now() - timedelta(hours=2))
    gdpr = clock_of(db, actor, secret, "gdpr-33/authority")
    submit(db, actor, secret, gdpr.id, recipient="CNIL", reference="CNIL-2026-42")
    return Scene(sec, outsider, people["viewer"], people["admin"], secret, evidence_id)


def _exports(db: Database, incident_id: str) -> list[dict[str, Any]]:
    return [e.data for e in incident_events(db, incident_id) if e.type == "incident.exported"]


def _times(value: Any) -> list[str]:
    """Every string in ``value`` that looks like a timestamp."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return [value] if isinstance(value, str) and LOOKS_LIKE_TIME.match(value) else []


def test_json_export_has_every_section(client: TestClient, db: Database, scene: Scene) -> None:
    r = client.get(f"{API}/{scene.secret}/export.json", headers=scene.sec.auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["content-disposition"] == 'attachment; filename="INC-1.json"'
    body = r.json()
    assert list(body) == ["format_version", *SECTIONS, "exported_at", "exported_by"]
    assert body["format_version"] == 1
    assert body["exported_by"]["label"] == "sec@example.com"
    assert (body["incident"]["id"], body["incident"]["restricted"]) == (scene.secret, True)
    types = [e["type"] for e in body["timeline"]]
    assert types[0] == "incident.declared"
    assert {"incident.note_added", "incident.evidence_added", "incident.report_submitted"} <= set(
        types
    )
    assert [t["title"] for t in body["tasks"]] == ["Rotate keys"]
    assert body["roles"] == [] or body["roles"][0]["role"]
    compliance = body["compliance"]
    assert [g["regime"] for g in compliance["regimes"]] == ["gdpr-33"]
    assert [f["key"] for f in compliance["facts"]] == ["aware_at"]
    gdpr = next(c for c in compliance["clocks"] if c["deadline"] == "gdpr-33/authority")
    assert gdpr["status"] == "submitted"
    [sent] = compliance["submissions"]
    assert (sent["recipient"], sent["reference"], sent["deadline"]) == (
        "CNIL", "CNIL-2026-42", "gdpr-33/authority",
    )  # fmt: skip
    [item] = body["evidence"]
    assert (item["id"], item["label"], item["sha256"], item["custodian"]) == (
        scene.evidence_id, "EV-1", SHA, "Lab",
    )  # fmt: skip
    custody = [(c["type"], c["data"].get("to")) for c in item["custody"]]
    assert custody == [("evidence.collected", None), ("evidence.transferred", "Lab")]
    assert all(len(c["hash"]) == 64 for c in item["custody"])
    investigation = body["investigation"]
    [seen] = investigation["observables"]
    assert (seen["kind"], seen["value"], seen["tlp"], seen["ioc"]) == (
        "ip", "198.51.100.23", "RED", True,
    )  # fmt: skip
    [host] = investigation["assets"]
    assert (host["name"], host["status"]) == ("web-7", "compromised")
    [technique] = investigation["techniques"]
    assert (technique["technique_id"], technique["name"]) == ("T1110.004", "Credential Stuffing")
    times = _times(body)
    assert len(times) > 20
    assert [t for t in times if not RFC3339_UTC.match(t)] == []


def test_restricted_export_only_for_those_allowed(
    client: TestClient, db: Database, scene: Scene
) -> None:
    before = len(_exports(db, scene.secret))
    for person in (scene.outsider, scene.viewer):
        r = client.get(f"{API}/{scene.secret}/export.json", headers=person.auth)
        assert r.status_code == 404, person.email
        assert "Credential" not in r.text
        as_person(client, person)
        for suffix in ("", ".html", ".pdf"):
            page = client.get(f"/incidents/{scene.secret}/report{suffix}")
            assert page.status_code in (404, 501), suffix
            assert "Credential" not in page.text
        client.cookies.clear()
    assert len(_exports(db, scene.secret)) == before  # nothing exported, nothing recorded
    assert client.get(f"{API}/{scene.secret}/export.json").status_code == 401
    r = client.get(f"/incidents/{scene.secret}/report", follow_redirects=False)
    assert r.status_code in (302, 303)
    assert client.get(f"{API}/{scene.secret}/export.json", headers=scene.admin.auth).is_success
    assert client.get(f"{API}/nope/export.json", headers=scene.admin.auth).status_code == 404


def test_each_export_is_an_event(client: TestClient, db: Database, scene: Scene) -> None:
    assert _exports(db, scene.secret) == []
    assert client.get(f"{API}/{scene.secret}/export.json", headers=scene.sec.auth).is_success
    assert client.get(f"{API}/{scene.secret}/export", headers=scene.sec.auth).is_success  # old
    as_person(client, scene.sec)
    assert client.get(f"/incidents/{scene.secret}/report").is_success
    assert client.get(f"/incidents/{scene.secret}/report.html").is_success
    recorded = _exports(db, scene.secret)
    assert [e["format"] for e in recorded] == ["json", "json", "html", "html"]
    for e in recorded:
        assert e["sections"] == list(SECTIONS)
        assert (e["incident_id"], e["restricted"]) == (scene.secret, True)
    last = [e for e in incident_events(db, scene.secret) if e.type == "incident.exported"][-1]
    assert last.actor_label == "sec@example.com"
    # ... and it is on the timeline the next export carries.
    again = client.get(f"{API}/{scene.secret}/export.json", headers=scene.sec.auth).json()
    assert sum(e["type"] == "incident.exported" for e in again["timeline"]) == 4


def test_html_report_shows_hashes_custody_and_records(
    client: TestClient, db: Database, scene: Scene
) -> None:
    as_person(client, scene.sec)
    r = client.get(f"/incidents/{scene.secret}/report")
    assert r.status_code == 200, r.text
    page = r.text
    for heading in (
        "Summary", "Roles", "Timeline", "Tasks", "Status updates",
        "Compliance clocks and submissions", "Evidence and chain of custody", "Observables",
        "Affected assets", "ATT&amp;CK techniques",
    ):  # fmt: skip
        assert f">{heading}</h2>" in page, heading
    assert "RESTRICTED" in page
    assert SHA in page
    assert "transferred (from: sec@example.com; to: Lab; reason: imaging)" in page
    assert f"collected (sha256: {SHA})" in page
    assert "198.51.100.23" in page
    assert "TLP:RED" in page
    assert "web-7" in page
    assert "T1110.004" in page
    assert "Credential Stuffing" in page
    assert "CNIL-2026-42" in page
    assert "<strong>203.0.113.7</strong>" in page  # the note's Markdown, rendered safely
    assert "<script" not in page
    assert 'href="/static/incident_report.css"' in page
    assert f'href="/incidents/{scene.secret}/report.html"' in page
    assert f'href="/api/v1/incidents/{scene.secret}/export.json"' in page
    assert client.get("/static/incident_report.css").text.count("@media print") == 1
    # The download: self-contained (styles inlined), no toolbar.
    d = client.get(f"/incidents/{scene.secret}/report.html")
    assert d.status_code == 200
    assert d.headers["content-disposition"] == 'attachment; filename="INC-1-report.html"'
    assert "<style>" in d.text
    assert "@media print" in d.text
    assert "/static/" not in d.text
    assert "Download HTML" not in d.text
    assert "transferred (from: sec@example.com; to: Lab; reason: imaging)" in d.text
    # The incident page links the report.
    incident_page = client.get(f"/incidents/{scene.secret}").text
    assert f'href="/incidents/{scene.secret}/report"' in incident_page


def _chromium_or_skip() -> None:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("MUSTER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and MUSTER_REQUIRE_BROWSER=1 requires the PDF test")
        print(f"PDF test skipped: {reason}")
        pytest.skip(reason)


def test_pdf_report(client: TestClient, db: Database, scene: Scene) -> None:
    _chromium_or_skip()
    as_person(client, scene.sec)
    assert (
        f'href="/incidents/{scene.secret}/report.pdf"'
        in client.get(f"/incidents/{scene.secret}/report").text
    )
    r = client.get(f"/incidents/{scene.secret}/report.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="INC-1-report.pdf"'
    assert r.content.startswith(b"%PDF")
    assert len(r.content) > 5000
    assert [e["format"] for e in _exports(db, scene.secret)] == ["html", "pdf"]


def test_no_chromium_no_pdf(
    settings: Settings, db: Database, clock: ManualClock, scene: Scene
) -> None:
    missing = dataclasses.replace(settings, extra={"MUSTER_CHROMIUM": "/nonexistent/chromium"})
    app = create_app(AppContext(settings=missing, db=db, clock=clock))
    with TestClient(app, base_url="http://testserver") as client:
        as_person(client, scene.sec)
        page = client.get(f"/incidents/{scene.secret}/report").text
        assert "report.pdf" not in page
        assert "report.html" in page
        r = client.get(
            f"/incidents/{scene.secret}/report.pdf", headers={"Accept": "application/json"}
        )
        assert r.status_code == 501
        assert "PDF export needs Chromium on the server" in r.text
    assert [e["format"] for e in _exports(db, scene.secret)] == ["html"]  # no pdf recorded
