"""The alert pages: the filtered list, bulk actions, one alert, one alert group."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from alert_support import alert_by_summary, make_integration, make_service, send
from helpers import Person
from muster.db.uow import Database
from muster.domain.alerts.models import Alert
from muster.web.ui import alerts as alerts_ui
from ui_support import as_person, count, events_of_type


@pytest.fixture
def keys(client: TestClient, people: dict[str, Person]) -> dict[str, str]:
    """Two services, each with a PagerDuty-style integration: service name → key."""
    out = {}
    for name in ("checkout", "search"):
        service_id = make_service(client, people["manager"], name)
        out[name] = make_integration(client, people["manager"], service_id)["key"]
        out[f"{name}_id"] = service_id
    return out


def _rows(html: str) -> list[str]:
    """The summaries listed in the alert table, in order."""
    return re.findall(r'<td class="summary"><a href="/alerts/[^"]+">([^<]+)</a>', html)


def test_empty_states_and_nav(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["viewer"])
    page = client.get("/alerts")
    assert page.status_code == 200
    assert "No open alerts — all quiet" in page.text
    assert 'href="/services"' in page.text  # how to connect a source
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page.text, re.S)
    assert nav
    labels = re.findall(r">([A-Za-z]+)</a>", nav.group(1))
    assert labels[:2] == ["Home", "Alerts"]
    assert "Routing" in labels
    assert 'href="/alerts" aria-current="page"' in nav.group(1)
    assert "No alerts match" in client.get("/alerts?severity=info").text
    assert client.get("/alerts/0190a0a0-0000-7000-8000-000000000000").status_code == 404
    assert client.get("/alerts?status=bogus").status_code == 422


def test_filters_narrow_the_list(
    client: TestClient, people: dict[str, Person], keys: dict[str, str]
) -> None:
    send(client, keys["checkout"], "Card payments failing", severity="critical")
    send(client, keys["checkout"], "Disk 91% full on db-2", severity="warning")
    send(client, keys["search"], "Search latency high", severity="error", dedup_key="lat")
    send(client, keys["search"], "", action="resolve", dedup_key="lat")
    as_person(client, people["viewer"])

    default = client.get("/alerts")
    assert set(_rows(default.text)) == {"Card payments failing", "Disk 91% full on db-2"}
    # Colour and text together, in the viewer's zone with UTC on hover.
    assert '<span class="pill sev sev-critical">critical</span>' in default.text
    assert '<span class="pill status status-triggered">triggered</span>' in default.text
    assert re.search(
        r'<time datetime="2026-01-05T09:00:00Z" title="2026-01-05T09:00:00Z UTC">', default.text
    )
    assert 'data-live-topics="alerts"' in default.text

    assert _rows(client.get("/alerts?status=resolved").text) == ["Search latency high"]
    every = client.get("/alerts?status=triggered&status=acknowledged&status=resolved").text
    assert len(_rows(every)) == 3
    assert _rows(client.get("/alerts?severity=critical").text) == ["Card payments failing"]
    by_service = client.get(f"/alerts?service_id={keys['search_id']}&status=resolved")
    assert _rows(by_service.text) == ["Search latency high"]
    assert f'data-live-topics="service:{keys["search_id"]}"' in by_service.text
    assert _rows(client.get("/alerts?q=DISK").text) == ["Disk 91% full on db-2"]
    # The form shows the filters it was given, so the URL is the whole view.
    page = client.get("/alerts?severity=warning&q=disk").text
    assert re.search(r'name="severity" value="warning" checked', page)
    assert 'name="q" value="disk"' in page


def test_pages_keep_filters(
    client: TestClient,
    people: dict[str, Person],
    keys: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alerts_ui, "PAGE_SIZE", 2)
    for n in range(3):
        send(client, keys["checkout"], f"Alert {n}", severity="warning")
    as_person(client, people["viewer"])
    first = client.get("/alerts?severity=warning")
    assert len(_rows(first.text)) == 2
    next_url = re.search(r'<a href="([^"]+)">Next page', first.text)
    assert next_url
    url = next_url.group(1).replace("&amp;", "&")
    assert "severity=warning" in url
    second = client.get(url)
    assert len(_rows(second.text)) == 1
    assert set(_rows(first.text) + _rows(second.text)) == {"Alert 0", "Alert 1", "Alert 2"}


def test_fragment_is_only_the_live_region(
    client: TestClient, people: dict[str, Person], keys: dict[str, str]
) -> None:
    send(client, keys["checkout"], "Card payments failing")
    as_person(client, people["viewer"])
    r = client.get("/alerts", headers={"X-Muster-Fragment": "1"})
    assert r.status_code == 200
    assert r.headers["X-Muster-Fragment"] == "1"
    assert "<html" not in r.text
    assert "<nav" not in r.text
    assert _rows(r.text) == ["Card payments failing"]
    assert "X-Muster-Fragment" in client.get("/alerts").headers["Vary"]


def test_bulk_acknowledge_with_csrf(
    client: TestClient, db: Database, people: dict[str, Person], keys: dict[str, str]
) -> None:
    for summary in ("One", "Two", "Three"):
        send(client, keys["checkout"], summary, severity="error")
    ids = [alert_by_summary(db, s).id for s in ("One", "Two")]
    back = "/alerts?severity=error&q=o"

    # A viewer sees no checkboxes and may not act.
    csrf = as_person(client, people["viewer"])
    assert 'name="ids"' not in client.get("/alerts").text
    r = client.post("/alerts/bulk", data={"ids": ids, "action": "acknowledge", "back": back,
                                          "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    assert count(db, Alert, Alert.status == "acknowledged") == 0

    client.cookies.clear()
    csrf = as_person(client, people["responder"])
    page = client.get(back).text
    assert 'name="ids"' in page
    assert "Acknowledge selected" in page
    # Without the CSRF token: refused, nothing changes.
    r = client.post("/alerts/bulk", data={"ids": ids, "action": "acknowledge", "back": back},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    assert count(db, Alert, Alert.status == "acknowledged") == 0

    r = client.post("/alerts/bulk", data={"ids": ids, "action": "acknowledge", "back": back,
                                          "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == back + "&done=acknowledged&count=2"
    assert {alert_by_summary(db, s).status for s in ("One", "Two")} == {"acknowledged"}
    assert alert_by_summary(db, "Three").status == "triggered"
    assert len(events_of_type(db, "alert.acknowledged")) == 2
    assert "2 alerts acknowledged." in client.get(r.headers["location"]).text

    # Nothing ticked: back with a hint; an off-site "back" is not followed.
    r = client.post("/alerts/bulk", data={"action": "resolve", "back": "https://evil.example/",
                                          "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == "/alerts?done=none&count=0"
    r = client.post("/alerts/bulk", data={"ids": ids, "action": "resolve", "back": "/alerts",
                                          "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    assert count(db, Alert, Alert.status == "resolved") == 2


def test_alert_detail_payload_history_and_actions(
    client: TestClient, db: Database, people: dict[str, Person], keys: dict[str, str]
) -> None:
    send(client, keys["checkout"], "Card payments failing", dedup_key="pay-1",
         custom_details={"region": "eu-west", "rate": 0.31}, component="payments-api")  # fmt: skip
    alert = alert_by_summary(db, "Card payments failing")
    csrf = as_person(client, people["responder"])
    page = client.get(f"/alerts/{alert.id}")
    assert page.status_code == 200
    html = page.text
    assert "payments-api" in html
    assert "pay-1" in html
    raw = re.search(r'<pre class="json">(.*?)</pre>', html.split("Raw payload")[1], re.S)
    assert raw
    assert "&#34;routing_key&#34;" not in raw.group(1)  # the key is not part of the payload
    assert "&#34;region&#34;: &#34;eu-west&#34;" in raw.group(1)  # pretty JSON, escaped
    assert "alert_group.opened" in html  # the history starts with the alert opening its group
    assert f'data-live-topics="alert:{alert.id}"' in html
    assert f'href="/alert-groups/{alert.group_id}"' in html

    r = client.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert (r.status_code, r.headers["location"]) == (303, f"/alerts/{alert.id}")
    html = client.get(f"/alerts/{alert.id}").text
    assert "alert.acknowledged" in html
    assert re.search(r"<dt>Acknowledged</dt><dd><time[^>]*>[^<]+</time> by \w+", html)
    assert "/acknowledge" not in html
    assert f"/alerts/{alert.id}/resolve" in html
    client.post(f"/alerts/{alert.id}/resolve", data={"csrf_token": csrf})
    assert alert_by_summary(db, "Card payments failing").status == "resolved"

    client.cookies.clear()
    csrf = as_person(client, people["viewer"])
    html = client.get(f"/alerts/{alert.id}").text
    assert "/resolve" not in html
    assert client.post(f"/alerts/{alert.id}/resolve", data={"csrf_token": csrf}).status_code == 403


def test_alert_group_page(
    client: TestClient, db: Database, people: dict[str, Person], keys: dict[str, str]
) -> None:
    # Group by dedup key is the simplest way to see one group with its alert and history.
    send(client, keys["checkout"], "Queue backlog growing", severity="warning", dedup_key="q")
    alert = alert_by_summary(db, "Queue backlog growing")
    csrf = as_person(client, people["responder"])
    page = client.get(f"/alert-groups/{alert.group_id}")
    assert page.status_code == 200
    assert "Queue backlog growing" in page.text
    assert "alert_group.opened" in page.text
    assert f'href="/alerts/{alert.id}"' in page.text
    r = client.post(f"/alert-groups/{alert.group_id}/acknowledge", data={"csrf_token": csrf},
                    follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == f"/alert-groups/{alert.group_id}"
    html = client.get(f"/alert-groups/{alert.group_id}").text
    assert "alert_group.acknowledged" in html
    client.post(f"/alert-groups/{alert.group_id}/resolve", data={"csrf_token": csrf})
    assert alert_by_summary(db, "Queue backlog growing").status == "resolved"
    assert client.get("/alert-groups/nope").status_code == 404


def test_links_and_images_are_links_to_http_only(
    client: TestClient, db: Database, people: dict[str, Person], keys: dict[str, str]
) -> None:
    send(client, keys["checkout"], "Graph attached")
    alert = alert_by_summary(db, "Graph attached")
    with db.unit_of_work() as uow:  # as if a sender had slipped them past the parsers
        row = uow.session.get(Alert, alert.id)
        assert row is not None
        row.links = [{"href": "javascript:alert(1)", "text": "click me"},
                     {"href": "https://grafana.example/d/1", "text": "Dashboard"}]  # fmt: skip
        row.images = [{"src": "https://img.example/graph.png", "href": None, "alt": "p99 graph"}]
        uow.commit()
    as_person(client, people["viewer"])
    html = client.get(f"/alerts/{alert.id}").text
    assert "javascript:" not in html.split("Raw payload")[0].split('<h2 class="top-gap">Links')[1]
    assert (
        '<a href="https://grafana.example/d/1" rel="noopener noreferrer nofollow external">Dashboard</a>'
        in html
    )
    assert "<img" not in html  # never loaded from another site
    assert '<a href="https://img.example/graph.png"' in html
    assert "p99 graph" in html
