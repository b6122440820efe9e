"""/incidents/{id}/evidence without JavaScript: the plain upload form, the item list
with SHA-256 and custody log, download, verify, transfer (errors shown, nothing
changed), external references, legal hold banner and forms, admin-only deletion."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from evidence_support import sha
from helpers import Person
from muster.db.uow import Database
from muster.domain.compliance.evidence_models import EvidenceItem
from ui_support import as_person, count, field_has_error, last_event

DATA = b"GIF89a" + bytes(range(200)) * 50


def _incident(client: TestClient, person: Person) -> str:
    r = client.post("/api/v1/incidents", json={"title": "Door forced"}, headers=person.auth)
    return str(r.json()["id"])


def test_upload_list_verify_transfer_and_download(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    resp = people["responder"]
    incident = _incident(client, resp)
    csrf = as_person(client, resp)
    page = client.get(f"/incidents/{incident}")
    assert f'href="/incidents/{incident}/evidence"' in page.text
    base = f"/incidents/{incident}/evidence"
    assert "No evidence yet" in client.get(base).text

    r = client.post(f"{base}/files", data={"csrf_token": csrf, "title": "Camera still",
                                           "source": "cam-3"},
                    files={"file": ("still.gif", DATA, "image/gif")}, follow_redirects=False)  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, f"{base}?done=added")
    html = client.get(r.headers["location"]).text
    assert "Evidence added." in html
    assert "EV-1" in html
    assert sha(DATA) in html
    assert 'id="evidence-drop"' in html
    evidence_id = re.search(r'data-evidence-id="([^"]+)"', html).group(1)  # type: ignore[union-attr]

    r = client.post(f"{base}/{evidence_id}/transfer", data={"csrf_token": csrf, "to": "police",
                                                            "reason": ""})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, f"transfer-{evidence_id}-reason")
    r = client.post(f"{base}/{evidence_id}/transfer", data={
        "csrf_token": csrf, "to": "police", "reason": "case 2026-118",
        "from": resp.email}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    r = client.post(f"{base}/{evidence_id}/verify", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    html = client.get(base).text
    assert "✓ intact" in html
    assert "police — case 2026-118" in html.replace("\n", " ")

    got = client.get(f"{base}/{evidence_id}/download")
    assert (got.status_code, got.content) == (200, DATA)
    assert last_event(db, "evidence.downloaded").actor_label == resp.email

    r = client.post(f"{base}/external", data={"csrf_token": csrf, "uri": "s3://cams/3.mp4",
                                              "sha256": "xyz"})  # fmt: skip
    assert r.status_code == 422
    assert field_has_error(r.text, "external-sha256")
    r = client.post(f"{base}/files", data={"csrf_token": csrf})
    assert r.status_code == 422
    assert count(db, EvidenceItem) == 1
    r = client.post(f"{base}/external", data={"csrf_token": csrf, "uri": "s3://cams/3.mp4"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert count(db, EvidenceItem) == 2


def test_hold_banner_and_admin_deletion(
    client: TestClient, people: dict[str, Person], db: Database
) -> None:
    resp, boss, admin = people["responder"], people["manager"], people["admin"]
    incident = _incident(client, resp)
    evidence_id = client.put(
        f"/api/v1/incidents/{incident}/evidence/upload", params={"filename": "a.bin"},
        content=DATA, headers=resp.auth).json()["id"]  # fmt: skip
    base = f"/incidents/{incident}/evidence"

    csrf = as_person(client, resp)
    html = client.get(base).text
    assert "Place legal hold" not in html
    assert "Delete (admin)" not in html
    r = client.post(f"/incidents/{incident}/legal-hold", data={"csrf_token": csrf, "reason": "x"})
    assert r.status_code == 403

    csrf = as_person(client, boss)
    r = client.post(f"/incidents/{incident}/legal-hold", data={"csrf_token": csrf, "reason": ""})
    assert r.status_code == 422
    r = client.post(f"/incidents/{incident}/legal-hold",
                    data={"csrf_token": csrf, "reason": "subpoena 44"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    html = client.get(base).text
    assert 'id="legal-hold"' in html
    assert "subpoena 44" in html

    csrf = as_person(client, admin)
    assert "Delete (admin)" in client.get(base).text
    r = client.post(f"{base}/{evidence_id}/delete", data={"csrf_token": csrf, "reason": "dup"})
    assert r.status_code == 409
    assert "legal hold" in r.text
    csrf = as_person(client, boss)
    r = client.post(f"/incidents/{incident}/legal-hold/release",
                    data={"csrf_token": csrf, "reason": "closed"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    csrf = as_person(client, admin)
    r = client.post(f"{base}/{evidence_id}/delete", data={"csrf_token": csrf, "reason": "dup"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    html = client.get(base).text
    assert "evidence-deleted" in html
    assert sha(DATA) in html  # the tombstone keeps the hash
    assert last_event(db, "evidence.deleted").data["reason"] == "dup"
