"""The audit log page: admins only, newest first, filtered and paged."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from helpers import Person
from ui_support import as_person


def _event_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<code>([a-z_.]+)</code>", body)


def test_only_admins_see_the_audit_log(client: TestClient, people: dict[str, Person]) -> None:
    for role in ("viewer", "responder", "manager"):
        client.cookies.clear()
        as_person(client, people[role])
        assert client.get("/audit").status_code == 403
        assert 'href="/audit"' not in client.get("/").text
    client.cookies.clear()
    as_person(client, people["admin"])
    r = client.get("/audit")
    assert r.status_code == 200
    assert 'href="/audit"' in r.text


def test_newest_first_with_subject_links(client: TestClient, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["admin"])
    team = client.post("/teams/new", data={"name": "Ops", "csrf_token": csrf}).url.path
    client.post(f"{team}/edit", data={"name": "Operations", "csrf_token": csrf})
    r = client.get("/audit")
    rows = _event_rows(r.text)
    assert rows[:3] == ["team.updated", "team.created", "user.signed_in"]
    assert f'<a href="{team}">team</a>' in r.text
    assert "Ops → Operations" in r.text
    assert 'class="pill via-ui">ui</span>' in r.text


def test_filter_by_subject_type(client: TestClient, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["admin"])
    client.post("/teams/new", data={"name": "Ops", "csrf_token": csrf})
    rows = _event_rows(client.get("/audit?subject_type=team").text)
    assert rows == ["team.created"]
    page = client.get("/audit?subject_type=incident")
    assert page.status_code == 200
    assert "No events match this filter" in page.text
    assert '<option value="incident" selected>' in page.text


def test_older_pages_follow_the_before_position(
    client: TestClient, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    for i in range(55):
        client.post("/teams/new", data={"name": f"Team {i:02}", "csrf_token": csrf})
    first = client.get("/audit?subject_type=team")
    assert len(_event_rows(first.text)) == 50
    older = re.search(r'href="(/audit\?subject_type=team&amp;before=\d+)">Older', first.text)
    assert older, "no link to older events"
    second = client.get(older.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert len(_event_rows(second.text)) == 5
    assert "Team 00" in second.text
    assert "Team 00" not in first.text
    assert "Team 54" in first.text
    assert "Older" not in second.text
    assert 'href="/audit?subject_type=team">← Newest' in second.text
