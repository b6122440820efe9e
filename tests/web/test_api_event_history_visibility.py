"""/api/v1/events?subject_type=…&subject_id=…: a subject's history stays hidden when its
events belong to a restricted incident the caller may not see (an evidence item's
custody log, not only the incident's own timeline)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person

API = "/api/v1"


def test_custody_log_of_a_restricted_incident_is_hidden_from_outsiders(
    client: TestClient, people: dict[str, Person]
) -> None:
    resp, viewer = people["responder"], people["viewer"]
    r = client.post(f"{API}/incidents", json={"title": "Quiet breach", "restricted": True},
                    headers=resp.auth)  # fmt: skip
    assert r.status_code == 201, r.text
    incident = r.json()["id"]
    r = client.put(f"{API}/incidents/{incident}/evidence/upload", params={"filename": "a.bin"},
                   content=b"secret bytes", headers={**resp.auth, "Content-Type": "application/octet-stream"})  # fmt: skip
    assert r.status_code == 201, r.text
    item = r.json()["id"]
    query = {"subject_type": "evidence", "subject_id": item}

    mine = client.get(f"{API}/events", params=query, headers=resp.auth)
    assert mine.status_code == 200
    assert mine.json()["items"][0]["type"] == "evidence.collected"
    hidden = client.get(f"{API}/events", params=query, headers=viewer.auth)
    assert hidden.status_code == 404
    assert "Quiet breach" not in hidden.text
    assert "secret bytes" not in hidden.text
    # The incident's own timeline, as before.
    timeline = {"subject_type": "incident", "subject_id": incident}
    assert client.get(f"{API}/events", params=timeline, headers=viewer.auth).status_code == 404
