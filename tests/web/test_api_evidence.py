"""/api/v1 evidence: raw and multipart uploads, listing, viewing and downloading (each in
the custody log), transfer, verify, dispose, delete (admin, tombstone), legal hold (409
naming it), and bad input answered 4xx with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from evidence_support import sha
from helpers import Person
from muster.clock import ManualClock
from muster.config import EvidenceSettings, Settings
from muster.db.uow import Database
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.web.app import create_app
from muster.web.context import AppContext
from ui_support import count

API = "/api/v1"
DATA = bytes(range(256)) * 1000


def _incident(client: TestClient, person: Person) -> str:
    r = client.post(f"{API}/incidents", json={"title": "Breach"}, headers=person.auth)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _upload(client: TestClient, person: Person, incident: str, data: bytes, **params: str):  # type: ignore[no-untyped-def]
    return client.put(
        f"{API}/incidents/{incident}/evidence/upload",
        params={"filename": "dump.bin", **params},
        content=data,
        headers={**person.auth, "Content-Type": "application/octet-stream"},
    )


def test_upload_view_download_transfer_verify(
    client: TestClient, people: dict[str, Person]
) -> None:
    resp, viewer = people["responder"], people["viewer"]
    incident = _incident(client, resp)
    r = _upload(client, resp, incident, DATA, title="Memory dump", source="host-7")
    assert r.status_code == 201, r.text
    item = r.json()
    assert (item["label"], item["sha256"], item["size"]) == ("EV-1", sha(DATA), len(DATA))
    assert (item["title"], item["source"], item["stored"]) == ("Memory dump", "host-7", True)

    r = client.post(f"{API}/incidents/{incident}/evidence/files", headers=resp.auth,
                    files={"file": ("notes.txt", b"hello", "text/plain")},
                    data={"description": "analyst notes"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert (r.json()["label"], r.json()["sha256"], r.json()["media_type"]) == (
        "EV-2", sha(b"hello"), "text/plain")  # fmt: skip

    listed = client.get(f"{API}/incidents/{incident}/evidence", headers=viewer.auth).json()
    assert [i["label"] for i in listed["items"]] == ["EV-1", "EV-2"]
    assert client.get(f"{API}/evidence/{item['id']}", headers=viewer.auth).status_code == 200
    got = client.get(f"{API}/evidence/{item['id']}/content", headers=viewer.auth)
    assert got.status_code == 200
    assert got.content == DATA
    assert got.headers["x-content-sha256"] == sha(DATA)
    r = client.post(f"{API}/evidence/{item['id']}/transfer", headers=resp.auth,
                    json={"to": "DFIR vendor", "reason": "imaging"})  # fmt: skip
    assert (r.status_code, r.json()["custodian"]) == (200, "DFIR vendor")
    r = client.post(f"{API}/incidents/{incident}/evidence/verify", headers=resp.auth)
    assert [(v["label"], v["ok"]) for v in r.json()["items"]] == [("EV-1", True), ("EV-2", True)]

    log = client.get(f"{API}/evidence/{item['id']}/custody", headers=viewer.auth).json()
    assert [e["type"] for e in log["items"]] == [
        "evidence.collected", "evidence.viewed", "evidence.downloaded",
        "evidence.transferred", "evidence.verified",
    ]  # fmt: skip
    assert log["items"][1]["actor"] == viewer.email
    assert log["items"][3]["data"]["from"] == resp.email

    r = client.put(f"{API}/incidents/{incident}/evidence/upload", params={
        "filename": "dump-v2.bin", "supersedes": item["id"]}, content=DATA + b"\n",
        headers=resp.auth)  # fmt: skip
    assert r.status_code == 201, r.text
    old = client.get(f"{API}/evidence/{item['id']}", headers=viewer.auth).json()
    assert (old["status"], old["superseded_by_id"]) == ("superseded", r.json()["id"])


def test_dispose_delete_and_legal_hold(client: TestClient, people: dict[str, Person]) -> None:
    resp, boss, admin = people["responder"], people["manager"], people["admin"]
    incident = _incident(client, resp)
    one = _upload(client, resp, incident, DATA).json()["id"]
    two = _upload(client, resp, incident, b"second").json()["id"]

    r = client.post(f"{API}/incidents/{incident}/legal-holds", headers=resp.auth,
                    json={"reason": "litigation"})  # fmt: skip
    assert r.status_code == 403
    r = client.post(f"{API}/incidents/{incident}/legal-holds", headers=boss.auth,
                    json={"reason": "litigation"})  # fmt: skip
    assert r.status_code == 201, r.text
    r = client.request("DELETE", f"{API}/evidence/{one}", headers=admin.auth,
                       json={"reason": "duplicate"})  # fmt: skip
    assert r.status_code == 409
    assert "legal hold" in r.json()["detail"]
    assert "litigation" in r.json()["detail"]
    r = client.post(f"{API}/evidence/{two}/dispose", headers=boss.auth,
                    json={"reason": "done", "method": "wiped"})  # fmt: skip
    assert r.status_code == 409
    r = client.post(f"{API}/incidents/{incident}/legal-holds/release", headers=boss.auth,
                    json={"reason": "settled"})  # fmt: skip
    assert r.status_code == 200, r.text
    holds = client.get(f"{API}/incidents/{incident}/legal-holds", headers=resp.auth).json()
    assert holds["items"][0]["release_reason"] == "settled"

    r = client.request("DELETE", f"{API}/evidence/{one}", headers=boss.auth,
                       json={"reason": "duplicate"})  # fmt: skip
    assert r.status_code == 403
    r = client.request("DELETE", f"{API}/evidence/{one}", headers=admin.auth, json={})
    assert r.status_code == 422
    r = client.request("DELETE", f"{API}/evidence/{one}", headers=admin.auth,
                       json={"reason": "duplicate"})  # fmt: skip
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["stored"], r.json()["sha256"]) == (
        "deleted", False, sha(DATA))  # fmt: skip
    assert client.get(f"{API}/evidence/{one}/content", headers=resp.auth).status_code == 409
    r = client.post(f"{API}/evidence/{two}/dispose", headers=boss.auth,
                    json={"reason": "done", "method": "wiped"})  # fmt: skip
    assert (r.status_code, r.json()["status"]) == (200, "disposed")


def test_bad_input_is_refused_and_changes_nothing(
    client: TestClient, people: dict[str, Person], db: Database, settings: Settings
) -> None:
    resp, viewer = people["responder"], people["viewer"]
    incident = _incident(client, resp)
    good = _upload(client, resp, incident, DATA).json()["id"]
    r = client.put(f"{API}/incidents/{incident}/evidence/upload", content=DATA, headers=resp.auth)
    assert r.status_code == 422  # no filename
    assert _upload(client, resp, incident, b"").status_code == 422
    assert _upload(client, viewer, incident, DATA).status_code == 403
    assert _upload(client, resp, "no-such-incident", DATA).status_code == 404
    r = _upload(client, resp, incident, DATA, collected_at="2999-01-01T00:00:00Z")
    assert r.status_code == 422
    r = client.post(f"{API}/incidents/{incident}/evidence/files", headers=resp.auth,
                    data={"title": "no file"})  # fmt: skip
    assert r.status_code == 422
    assert "file" in r.text
    r = client.post(f"{API}/incidents/{incident}/evidence/external", headers=resp.auth,
                    json={"uri": "s3://b/k", "sha256": "12ab"})  # fmt: skip
    assert r.status_code == 422
    assert "sha256" in r.text
    r = client.post(f"{API}/evidence/{good}/transfer", headers=resp.auth, json={"to": "lab"})
    assert r.status_code == 422
    assert "reason" in r.text
    assert count(db, EvidenceItem) == 1
    custodian = client.get(f"{API}/incidents/{incident}/evidence", headers=resp.auth).json()
    assert custodian["items"][0]["custodian"] == resp.email
    assert len(list((settings.var_dir / "evidence").iterdir())) == 1


def test_oversize_uploads_are_refused_whole(
    settings: Settings, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    small = replace(settings, evidence=EvidenceSettings(max_bytes=1000))
    app = create_app(AppContext(settings=small, db=db, clock=clock))
    resp = people["responder"]

    def stream() -> Iterator[bytes]:  # no Content-Length: only the store can stop it
        yield b"x" * 600
        yield b"x" * 600

    with TestClient(app) as client:
        incident = _incident(client, resp)
        assert _upload(client, resp, incident, b"x" * 1001).status_code == 413  # declared
        r = client.put(f"{API}/incidents/{incident}/evidence/upload",
                       params={"filename": "big.bin"}, content=stream(), headers=resp.auth)  # fmt: skip
        assert r.status_code == 413
        assert _upload(client, resp, incident, b"x" * 1000).status_code == 201
    assert count(db, EvidenceItem) == 1
    store_dir: Path = small.var_dir / "evidence"
    assert [p.stat().st_size for p in store_dir.iterdir()] == [1000]


def test_a_restricted_incidents_evidence_does_not_exist_for_outsiders(
    client: TestClient, people: dict[str, Person]
) -> None:
    resp, outsider = people["responder"], people["viewer"]
    r = client.post(f"{API}/incidents", json={"title": "Insider", "restricted": True},
                    headers=resp.auth)  # fmt: skip
    incident = r.json()["id"]
    item = _upload(client, resp, incident, DATA).json()["id"]
    for path in (f"/incidents/{incident}/evidence", f"/evidence/{item}",
                 f"/evidence/{item}/custody", f"/evidence/{item}/content",
                 f"/incidents/{incident}/legal-holds"):  # fmt: skip
        assert client.get(f"{API}{path}", headers=outsider.auth).status_code == 404, path
    assert client.get(f"{API}/evidence/{item}", headers=resp.auth).status_code == 200
    log = client.get(f"{API}/evidence/{item}/custody", headers=resp.auth).json()["items"]
    assert [e["type"] for e in log] == ["evidence.collected", "evidence.viewed"]
