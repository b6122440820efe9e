"""The sites pages keep drills apart: a drill's alert, incident and door report at a
real site show as EXERCISE, are not counted, and do not make the site look busy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database
from sites_drill_support import drill_at_hq, drill_site
from sites_support import build_place, ingest
from ui_support import as_person


def _row(html: str, site_id: str) -> str:
    at = html.index(f'data-site="{site_id}"')
    return html[html.rindex("<tr", 0, at) :].split("</tr>")[0]


def test_the_overview_shows_drill_work_apart_and_the_site_stays_quiet(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    drill_at_hq(db, place, clock.now())
    vault = drill_site(db)
    as_person(client, people["viewer"])
    html = client.get("/sites").text
    hq = _row(html, place.hq)
    assert "site-quiet" in hq
    assert "active" not in hq
    assert "EXERCISE: 1 alert, 1 incident" in hq
    assert f'href="/alerts?site={place.hq}"' not in hq  # no real open alerts to link
    assert hq.count('<td class="num">0</td>') == 3  # alerts, incidents, restricted events
    assert html.index(">Depot<") < html.index(">HQ<")  # both quiet: by name
    drill_row = _row(html, vault)
    assert "is-exercise" in drill_row
    assert "EXERCISE" in drill_row
    assert html.index(f'data-site="{vault}"') > html.index(f'data-site="{place.hq}"')
    ingest(db, place.integration, "real")
    busy = _row(client.get("/sites").text, place.hq)
    assert "site-busy" in busy
    assert "EXERCISE: 1 alert, 1 incident" in busy


def test_the_site_page_lists_drill_work_in_its_own_section(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    place = build_place(db)
    drill = drill_at_hq(db, place, clock.now())
    as_person(client, people["responder"])
    html = client.get(f"/sites/{place.hq}").text
    alerts = html.split('id="site-alerts"')[1].split("</section>")[0]
    assert "No open alerts at this site." in alerts
    incidents = html.split('id="site-incidents"')[1].split("</section>")[0]
    assert "No open incidents at this site." in incidents
    drills = html.split('id="site-exercise"')[1].split("</section>")[0]
    assert f'href="/alerts/{drill.alert}"' in drills
    assert f'href="/incidents/{drill.incident}"' in drills
    assert drills.count("exercise-badge") == 3  # the heading and each row
    activity = html.split('id="restricted-activity"')[1].split("</section>")[0]
    assert "DRILL-7" in activity
    assert 'class="is-exercise"' in activity
    assert "exercise-banner" not in html  # a real site: no drill banner
    quiet = client.get(f"/sites/{place.depot}").text
    assert 'id="site-exercise"' not in quiet
    vault = drill_site(db)
    assert "exercise-banner" in client.get(f"/sites/{vault}").text
