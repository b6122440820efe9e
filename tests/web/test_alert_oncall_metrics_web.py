"""/metrics/alerts and /teams/{id}/on-call-health: the pages render, their CSVs and the API
give the same numbers, and per-person load is only for managers and the team's members."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient

from alert_metrics_support import add_alert, add_member, add_page, make_service, set_zone
from helpers import SYSTEM, Person
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from oncall_support import MONDAY, Crew, weekly_schedule
from ui_support import as_person

RANGE = "?since=2026-01-05&until=2026-01-12"


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _as_text(rows: list[list[object]]) -> list[list[str]]:
    return [[str(c) for c in row] for row in rows]


def _team(db: Database, name: str = "Core") -> str:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name=name))
        uow.commit()
        return team.id


def _world(db: Database, people: dict[str, Person]) -> tuple[str, str]:
    """A team with the responder and the admin on a daily rotation, pages to both."""
    team = _team(db)
    resp, admin = people["responder"].id, people["admin"].id
    add_member(db, team, resp)
    set_zone(db, resp, "Europe/Berlin")
    crew = Crew(alice=resp, bob=admin, carol="", maria="", vic="", team=team)
    weekly_schedule(db, crew, [resp, admin], length=1, unit="days")
    web = make_service(db, team, "web")
    t = MONDAY + timedelta(hours=1)
    g = add_alert(db, web, t, acked=t)
    add_alert(db, web, t + timedelta(hours=1), suppressed="maintenance window")
    add_alert(db, web, t + timedelta(days=1), flapping=True)
    add_page(db, resp, g, MONDAY + timedelta(hours=13, minutes=30))  # 23:30 Berlin: night
    add_page(db, admin, g, MONDAY + timedelta(days=1, hours=2))
    return team, web


def test_alert_metrics_page_csv_and_api_agree(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    _world(db, people)
    as_person(client, people["viewer"])
    page = client.get("/metrics/alerts" + RANGE)
    assert page.status_code == 200
    assert "Summary: 3 alerts" in page.text
    assert page.text.count('class="chart"') == 3
    api = client.get("/api/v1/metrics/alerts" + RANGE, headers=people["viewer"].auth)
    assert api.status_code == 200
    body = api.json()
    assert body["summary"]["suppressed"] == 1
    assert body["summary"]["flapping_share"] == 1 / 3
    for table in ("series", "services", "alerts"):
        rows = _csv(client.get(f"/metrics/alerts/{table}.csv" + RANGE).text)
        api_rows = [body["tables"][table]["columns"], *body["tables"][table]["rows"]]
        assert rows == _as_text(api_rows)
    services = body["tables"]["services"]["rows"]
    assert services[0][1:4] == ["web", 3, 1]
    # the page shows the same numbers as the services table
    assert '<td class="num">3</td><td class="num">1</td><td class="num">1</td>' in page.text


def test_alert_metrics_bad_filter_names_the_field(
    client: TestClient, people: dict[str, Person]
) -> None:
    r = client.get("/api/v1/metrics/alerts?since=soon", headers=people["viewer"].auth)
    assert r.status_code == 422
    assert "since" in r.text
    r = client.get("/api/v1/metrics/alerts?bucket=year", headers=people["viewer"].auth)
    assert r.status_code == 422
    assert "bucket" in r.text


def test_oncall_health_page_csv_and_api_agree(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    team, _web = _world(db, people)
    as_person(client, people["responder"])  # a member
    show = client.get(f"/teams/{team}")
    assert f'href="/teams/{team}/on-call-health"' in show.text
    page = client.get(f"/teams/{team}/on-call-health" + RANGE)
    assert page.status_code == 200
    assert "On-call health: Core" in page.text
    assert 'id="table-shifts"' in page.text
    body = client.get(
        f"/api/v1/teams/{team}/on-call-health" + RANGE, headers=people["responder"].auth
    ).json()
    assert body["summary"]["pages"] == 2
    assert body["summary"]["night_pages"] == 1
    for table in ("people", "shifts", "services"):
        rows = _csv(client.get(f"/teams/{team}/on-call-health/{table}.csv" + RANGE).text)
        assert rows == _as_text([body["tables"][table]["columns"], *body["tables"][table]["rows"]])
    shifts = body["tables"]["shifts"]["rows"]
    assert [(r[2], r[6], r[7]) for r in shifts[:2]] == [
        (people["responder"].id, 1, 1),
        (people["admin"].id, 1, 0),
    ]
    assert body["tables"]["services"]["rows"] == [[_web, "web", 2, 1]]


def test_oncall_health_is_for_managers_and_members(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    team, _web = _world(db, people)
    url = f"/api/v1/teams/{team}/on-call-health"
    assert client.get(url, headers=people["viewer"].auth).status_code == 403
    assert client.get(url, headers=people["manager"].auth).status_code == 200
    assert client.get(url, headers=people["responder"].auth).status_code == 200
    assert (
        client.get("/api/v1/teams/nope/on-call-health", headers=people["manager"].auth).status_code
        == 404
    )
    as_person(client, people["viewer"])
    assert client.get(f"/teams/{team}/on-call-health").status_code == 403
    assert client.get(f"/teams/{team}/on-call-health/people.csv").status_code == 403
    assert "on-call-health" not in client.get(f"/teams/{team}").text
    r = client.get(url + "?night_start=late", headers=people["manager"].auth)
    assert r.status_code == 422
    assert "night_start" in r.text
