"""A fired inject's alerts and site events carry the moment it fired, not the times its
scenario's payload was written with: per intake format, through the real intake code,
several timestamps in one payload keeping their distances."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from incident_support import Cast, build_cast
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert
from muster.domain.drills.models import DrillRun
from muster.domain.drills.runs import do_fire, do_start_run
from muster.domain.drills.scenarios import do_apply_scenario
from muster.domain.sites.models import Site, SiteEvent

PAYLOADS = Path(__file__).parents[1] / "unit" / "integrations" / "security_payloads"
SHIPPED = Path(__file__).parents[2] / "src" / "muster" / "domain" / "drills" / "shipped"


def _json(name: str) -> Any:
    return yaml.safe_load((PAYLOADS / name).read_text())


def _shipped(key: str, inject: str) -> dict[str, Any]:
    scenario = yaml.safe_load((SHIPPED / f"{key}.yaml").read_text())
    found: dict[str, Any] = next(i for i in scenario["injects"] if i["name"] == inject)
    return {k: v for k, v in found.items() if k in ("kind", "format", "payload", "preset", "topic")}


def _inject(format: str, payload: object, **extra: Any) -> dict[str, Any]:
    return {"name": "it", "kind": "alert", "format": format, "payload": payload, **extra}


def _seconds(a: str, b: str) -> timedelta:
    return datetime.fromisoformat(b) - datetime.fromisoformat(a)


PAGERDUTY = {"event_action": "trigger", "dedup_key": "pd1", "payload": {
    "summary": "PD thing", "source": "h", "severity": "critical",
    "timestamp": "2026-01-01T00:00:00.000+0000"}}  # fmt: skip
UNIFI = {"event": "access.door.forced_open", "event_object_id": "drill-unifi-1",
         "timestamp": "2026-11-24T02:40:00Z",
         "data": {"location": {"id": "lab", "name": "Lab"}}}  # fmt: skip
# Each inject, and how long before the fire time each alert it raises happened (its
# payload's own distances), latest first.
CASES: dict[str, tuple[dict[str, Any], list[timedelta]]] = {
    "alertmanager": (_shipped("checkout-outage", "checkout_errors"), [timedelta()]),
    "grafana": (_shipped("ddos", "edge_traffic"), [timedelta()]),
    "pagerduty": (_inject("pagerduty", PAGERDUTY), [timedelta()]),
    "wazuh": (_shipped("phishing-account-takeover", "forwarding_rule"), [timedelta()]),
    # Its last record (a stats one, at 08:16:30) is the latest: the alerts came before.
    "suricata": (_inject("suricata", (PAYLOADS / "suricata_eve.jsonl").read_text()),
                 [_seconds("2026-11-24T08:16:12.003981", "2026-11-24T08:16:30"),
                  _seconds("2026-11-24T08:15:01.877311", "2026-11-24T08:16:30")]),
    "falco": (_inject("falco", _json("falco_shell.json")), [timedelta()]),
    # The first alert's time is its original event's (kibana.alert.original_time).
    "elastic": (_inject("elastic", _json("elastic_alerts.json")),
                [timedelta(), _seconds("2026-11-24T08:15:02.114", "2026-11-24T08:18:03.950")]),
    "cef": (_inject("cef", (PAYLOADS / "cef_records.txt").read_text()), [timedelta()]),
    "access_control": (_shipped("server-room-intrusion", "door_forced"), [timedelta()]),
    "unifi_access": (_inject("access_control", UNIFI, preset="unifi_access"), [timedelta()]),
    "frigate": (_shipped("server-room-intrusion", "camera_person"), [timedelta()]),
}  # fmt: skip
PHYSICAL = ("access_control", "unifi_access", "frigate")


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def _fire_later(db: Database, clock: ManualClock, cast: Cast, inject: dict[str, Any]) -> str:
    """Start a run of a scenario of ``inject`` alone, fire it 7 minutes later."""
    scenario = {"key": "fire-time", "title": "Fire time", "roles": [{"key": "commander"}],
                "injects": [{**inject, "name": "it"}]}  # fmt: skip
    with db.unit_of_work() as uow:
        applied, _ = do_apply_scenario(uow, cast.boss, yaml.safe_dump(scenario, sort_keys=False))
        run = do_start_run(uow, cast.boss, applied.id, team_id=cast.team, mode="tabletop",
                           facilitator_id=cast.boss.id or "", participants={})  # fmt: skip
        uow.commit()
    clock.advance(minutes=7)
    with db.unit_of_work() as uow:
        fired = do_fire(uow, cast.boss, run.id)
        assert (fired.status, fired.error) == ("fired", None)
        uow.commit()
    return run.id


@pytest.mark.parametrize("case", list(CASES))
def test_what_an_inject_stores_carries_its_fire_time(
    db: Database, clock: ManualClock, cast: Cast, case: str
) -> None:
    inject, before_fire = CASES[case]
    run_id = _fire_later(db, clock, cast, inject)
    fired_at = clock.now()
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.get_one(DrillRun, run_id)
        assert run.injects[0].fired_at == fired_at
        alert_ids = run.injects[0].output["alert_ids"]
        alerts = [uow.session.get_one(Alert, a) for a in alert_ids]
        times = sorted((a.occurred_at for a in alerts if a.occurred_at), reverse=True)
        assert [fired_at - t for t in times] == before_fire
        if case in PHYSICAL:
            site = uow.session.scalars(select(Site).where(Site.exercise_run_id == run_id)).one()
            events = uow.session.scalars(select(SiteEvent).where(SiteEvent.site_id == site.id))
            assert [e.occurred_at for e in events] == [fired_at]


def test_splunk_result_time_is_the_fire_time(db: Database, clock: ManualClock, cast: Cast) -> None:
    """Splunk's parser takes no time from the result row; the row kept with the alert
    shows the fire time all the same."""
    run_id = _fire_later(db, clock, cast, _inject("splunk", _json("splunk_webhook.json")))
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.get_one(DrillRun, run_id)
        [alert_id] = run.injects[0].output["alert_ids"]
        raw = uow.session.get_one(Alert, alert_id).raw
    assert raw["result"]["_time"] == str(int(clock.now().timestamp()))
