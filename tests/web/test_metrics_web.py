"""The metrics page, its CSV files and the metrics API: the same numbers everywhere,
an empty state, bad filters, and only what the viewer may see."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from helpers import Person
from incident_support import actor_for, declare
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.reviews.metric_charts import CHARTS
from ui_support import as_person


def _seed(db: Database, clock: ManualClock, people: dict[str, Person]) -> list[str]:
    actor = actor_for(db, people["responder"].id)
    ids = []
    for minutes, severity in ((2, 1), (5, 2), (9, 2)):
        detected = (clock.now() - timedelta(minutes=minutes)).isoformat()
        ids.append(declare(db, actor, severity=severity, detected_at=detected))
        clock.advance(days=3)
    ids.append(declare(db, actor, severity=4, restricted=True))  # the viewer cannot see it
    return ids


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_page_without_data(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["viewer"])
    r = client.get("/metrics/incidents")
    assert r.status_code == 200
    assert "No incidents match" in r.text
    assert 'href="/metrics/incidents" aria-current="page">Metrics' in r.text  # the nav entry
    assert 'href="/metrics/alerts"' in r.text


def test_charts_csv_and_api_agree(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    _seed(db, clock, people)
    as_person(client, people["viewer"])
    page = client.get("/metrics/incidents").text
    assert "Summary: 3 incidents" in page  # the restricted one is not counted
    api = client.get("/api/v1/metrics/incidents", headers=people["viewer"].auth).json()
    assert api["count"] == 3
    assert api["times"]["time_to_declare"] == {"n": 3, "mean": 320.0, "median": 300.0, "p90": 540.0}
    for chart in CHARTS:
        rows = _csv(client.get(f"/metrics/incidents/{chart}.csv").text)
        one = client.get(f"/api/v1/metrics/incidents/{chart}", headers=people["viewer"].auth)
        assert one.json() == api["charts"][chart]
        items = api["charts"][chart]["items"]
        assert rows == [{k: "" if v is None else str(v) for k, v in i.items()} for i in items]
    # The bars carry the same numbers.
    week_bars = re.findall(
        r'data-label="([\d-]+)" data-series="incidents" data-value="([\d.]+)"', page
    )
    assert [(w, float(v)) for w, v in week_bars if float(v)] == [
        (i["week"], float(i["incidents"]))
        for i in api["charts"]["per-week"]["items"]
        if i["incidents"]
    ]
    medians = re.findall(r'data-series="median" data-value="([\d.]+)"', page)
    assert [float(v) for v in medians] == [
        i["median"] for i in api["charts"]["times"]["items"] if i["median"] is not None
    ]
    assert '<title id="chart-per-week-title">' in page


def test_filters_reach_the_csv_link_and_bad_ones_are_named(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    _seed(db, clock, people)
    as_person(client, people["viewer"])
    page = client.get("/metrics/incidents?severity=2").text
    assert "Summary: 2 incidents" in page
    assert 'href="/metrics/incidents/by-severity.csv?severity=2"' in page
    rows = _csv(client.get("/metrics/incidents/by-severity.csv?severity=2").text)
    assert rows == [{"severity": "SEV2", "incidents": "2", "median_time_to_recover": ""}]
    bad = client.get(
        "/api/v1/metrics/incidents?severity=9&since=soon", headers=people["viewer"].auth
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"severity", "since"}
    assert (
        client.get("/api/v1/metrics/incidents/nope", headers=people["viewer"].auth).status_code
        == 404
    )


def test_restricted_counts_for_those_who_may_see(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    ids = _seed(db, clock, people)
    admin = client.get("/api/v1/metrics/incidents", headers=people["admin"].auth).json()
    assert admin["count"] == 4
    hidden = client.get(f"/api/v1/incidents/{ids[-1]}/metrics", headers=people["viewer"].auth)
    assert hidden.status_code == 404
    mine = client.get(f"/api/v1/incidents/{ids[0]}/metrics", headers=people["viewer"].auth)
    assert mine.status_code == 200
    assert mine.json()["time_to_declare"] == 120.0
    assert mine.json()["pages"] == 0
