"""Alert injects through every intake format: alert tools, security tools (Wazuh,
Suricata, Falco, Elastic, Splunk, CEF) and physical security (access-control presets,
Frigate reviews). Each is read by its format's own parser and stored as its endpoint
stores it, on the run's exercise service; physical events land at the run's own
exercise site (laid out as the scenario says), never at a real site with a device of
the same id; cleanup removes that site with the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from helpers import SYSTEM
from incident_support import Cast, build_cast
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, Integration
from muster.domain.drills.models import DrillRun
from muster.domain.drills.runs import do_fire, do_start_run
from muster.domain.drills.scenarios import do_apply_scenario
from muster.domain.exercises.cleanup import do_cleanup_exercise
from muster.domain.sites.devices import do_add_device
from muster.domain.sites.models import Device, Site, SiteEvent, Zone
from muster.domain.sites.schemas import DeviceCreate, SiteCreate
from muster.domain.sites.service import do_create_site
from muster.errors import InvalidInput

PAYLOADS = Path(__file__).parents[1] / "unit" / "integrations" / "security_payloads"
FRIGATE_REVIEW = {
    "type": "new", "before": {},
    "after": {
        "id": "1795497361.402113-k3m9qa", "camera": "cam-07", "start_time": 1795497361.4,
        "end_time": None, "severity": "alert",
        "data": {"detections": ["1795497360.917443-7xq2pd"], "objects": ["person"],
                 "sub_labels": [], "zones": [], "audio": []},
    },
}  # fmt: skip
UNIFI_FORCED = {
    "event": "access.door.forced_open", "event_object_id": "drill-unifi-1",
    "timestamp": "2026-11-24T02:40:00Z",
    "data": {"location": {"id": "lab-door", "name": "Lab door"}},
}  # fmt: skip
MUSTER_FORCED = {"kind": "door_forced_open", "door": "srv-b", "door_name": "Server room B door",
                 "event_id": "drill-m-1", "time": "2026-11-24T02:41:00Z"}  # fmt: skip


def _inject(name: str, format: str, payload: object, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "alert", "format": format, "payload": payload, **extra}


def _json(name: str) -> Any:
    return yaml.safe_load((PAYLOADS / name).read_text())


INJECTS = [
    _inject("am", "alertmanager", {"version": "4", "status": "firing", "receiver": "m", "groupKey": "g",
            "alerts": [{"status": "firing", "labels": {"alertname": "Down"},
                        "annotations": {"summary": "AM down"}, "startsAt": "2026-01-01T00:00:00Z"}]}),
    _inject("gf", "grafana", {"receiver": "m", "status": "firing", "orgId": 1, "groupKey": "g",
            "alerts": [{"status": "firing", "labels": {"alertname": "Slow"},
                        "annotations": {"summary": "GF slow"}, "startsAt": "2026-01-01T00:00:00Z"}]}),
    _inject("gen", "generic", {"summary": "Generic thing", "severity": "error", "dedup_key": "g1"}),
    _inject("pd", "pagerduty", {"event_action": "trigger", "dedup_key": "pd1",
            "payload": {"summary": "PD thing", "source": "h", "severity": "critical"}}),
    _inject("wz", "wazuh", _json("wazuh_sshd.json")),
    _inject("su", "suricata", (PAYLOADS / "suricata_eve.jsonl").read_text()),
    _inject("fa", "falco", _json("falco_shell.json")),
    _inject("el", "elastic", _json("elastic_alerts.json")),
    _inject("sp", "splunk", _json("splunk_webhook.json")),
    _inject("cef", "cef", (PAYLOADS / "cef_records.txt").read_text()),
    _inject("door", "access_control", MUSTER_FORCED),
    _inject("lab", "access_control", UNIFI_FORCED, preset="unifi_access"),
    _inject("cam", "frigate", FRIGATE_REVIEW, topic="reviews"),
]  # fmt: skip
SECURITY = {"wz": "wazuh", "su": "suricata", "fa": "falco", "el": "elastic", "sp": "splunk",
            "cef": "cef"}  # fmt: skip
SCENARIO = {
    "key": "every-format", "title": "Every format",
    "roles": [{"key": "commander"}],
    "site": {"name": "DC1", "zones": [{"name": "Server room B", "restricted": True}],
             "devices": [{"kind": "door", "external_id": "srv-b", "name": "Server room B door",
                          "zone": "Server room B"}]},
    "injects": INJECTS,
}  # fmt: skip


def _start(db: Database, cast: Cast, scenario: dict[str, Any]) -> str:
    with db.unit_of_work() as uow:
        applied, _ = do_apply_scenario(uow, cast.boss, yaml.safe_dump(scenario, sort_keys=False))
        run = do_start_run(uow, cast.boss, applied.id, team_id=cast.team, mode="tabletop",
                           facilitator_id=cast.boss.id or "", participants={})  # fmt: skip
        uow.commit()
        return run.id


def _real_site_with_same_door(db: Database) -> str:
    with db.unit_of_work() as uow:
        site = do_create_site(uow, SYSTEM, SiteCreate(name="Real DC"))
        do_add_device(uow, SYSTEM, site.id, DeviceCreate(kind="door", name="Real door",
                                                         external_id="srv-b"))  # fmt: skip
        uow.commit()
        return site.id


@pytest.fixture
def cast(db: Database) -> Cast:
    return build_cast(db)


def test_every_format_fires_through_its_intake(db: Database, cast: Cast) -> None:
    real_site = _real_site_with_same_door(db)
    run_id = _start(db, cast, SCENARIO)
    for _ in INJECTS:
        with db.unit_of_work() as uow:
            do_fire(uow, cast.boss, run_id)
            uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        run = uow.session.get_one(DrillRun, run_id)
        assert {i.name: (i.status, i.error) for i in run.injects} == {
            i["name"]: ("fired", None) for i in INJECTS
        }
        output = {i.name: i.output for i in run.injects}
        alerts = {a.id: a for a in uow.session.scalars(select(Alert))}
        assert all(a.exercise_run_id == run_id and a.service_id == run.service_id
                   for a in alerts.values())  # fmt: skip
        for name in ("am", "gf", "gen", "pd", "door", "lab", "cam", *SECURITY):
            assert output[name]["alert_ids"], name
        for name, tool in SECURITY.items():
            assert {alerts[a].labels["tool"] for a in output[name]["alert_ids"]} == {tool}
        # Suricata's flow records and the like are ignored, as its endpoint ignores them.
        assert len(output["su"]["alert_ids"]) == 2
        # Physical events happened at the run's own site, in the layout's zone.
        site = uow.session.scalars(select(Site).where(Site.exercise_run_id == run_id)).one()
        assert site.name.startswith("[EXERCISE ")
        assert site.name.endswith("DC1")
        zone = uow.session.scalars(select(Zone).where(Zone.site_id == site.id)).one()
        [door_alert] = output["door"]["alert_ids"]
        assert (alerts[door_alert].site_id, alerts[door_alert].zone_id) == (site.id, zone.id)
        assert alerts[output["cam"]["alert_ids"][0]].site_id == site.id
        kinds = set(uow.session.scalars(select(SiteEvent.kind).where(SiteEvent.site_id == site.id)))
        assert kinds == {"door_forced_open", "detected:person"}
        devices = set(
            uow.session.scalars(select(Device.external_id).where(Device.site_id == site.id))
        )
        assert devices == {"srv-b", "lab-door", "cam-07"}
        # The real site with a door of the same id saw nothing.
        assert (
            uow.session.scalar(
                select(func.count()).select_from(SiteEvent).where(SiteEvent.site_id == real_site)
            )
            == 0
        )
        # One exercise integration per format (and per access-control preset).
        types = sorted(uow.session.scalars(
            select(Integration.type).where(Integration.service_id == run.service_id)
        ))  # fmt: skip
        assert types.count("access_control") == 2
        assert len(types) == 13


def test_cleanup_removes_the_exercise_site_and_keeps_the_real_one(db: Database, cast: Cast) -> None:
    real_site = _real_site_with_same_door(db)
    scenario = {**SCENARIO, "injects": [i for i in INJECTS if i["name"] in ("door", "cam")]}
    run_id = _start(db, cast, scenario)
    for _ in range(2):
        with db.unit_of_work() as uow:
            do_fire(uow, cast.boss, run_id)
            uow.commit()
    with db.unit_of_work() as uow:
        counts = do_cleanup_exercise(uow, cast.boss, run_id)
        uow.commit()
    assert counts["sites"] == 1
    assert counts["alerts"] == 2
    with db.unit_of_work(readonly=True) as uow:
        assert list(uow.session.scalars(select(Site.id))) == [real_site]
        assert list(uow.session.scalars(select(Device.site_id))) == [real_site]
        assert uow.session.scalar(select(func.count()).select_from(SiteEvent)) == 0
        assert uow.session.scalar(select(func.count()).select_from(Zone)) == 0
    with db.unit_of_work() as uow:
        assert do_cleanup_exercise(uow, cast.boss, run_id)["sites"] == 0


def test_a_scenario_without_physical_injects_makes_no_site(db: Database, cast: Cast) -> None:
    scenario = {**SCENARIO, "injects": INJECTS[:1]}
    del scenario["site"]
    _start(db, cast, scenario)
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Site)) == 0


@pytest.mark.parametrize(("inject", "field", "words"), [
    (_inject("x", "wazuh", {"agent": {"name": "web"}}), "injects.0.payload", "rule: is missing"),
    (_inject("x", "cef", "not cef"), "injects.0.payload", "no 'CEF:'"),
    (_inject("x", "suricata", []), "injects.0.payload", "suricata intake refuses it"),
    (_inject("x", "frigate", {"type": "new"}), "injects.0.payload", "after: an object"),
    (_inject("x", "frigate", FRIGATE_REVIEW, topic="snapshots"), "injects.0.payload", "ignores the topic"),
    (_inject("x", "access_control", {"door": "d"}), "injects.0.payload", "access_control intake"),
    (_inject("x", "access_control", MUSTER_FORCED, preset="acme"), "injects.0.preset", ""),
    (_inject("x", "wazuh", _json("wazuh_sshd.json"), preset="verkada"), "injects.0", "preset is for"),
    (_inject("x", "smoke-signals", {}), "injects.0.format", ""),
])  # fmt: skip
def test_a_payload_its_intake_refuses_is_a_scenario_error_with_its_line(
    db: Database, cast: Cast, inject: dict[str, Any], field: str, words: str
) -> None:
    source = yaml.safe_dump({**SCENARIO, "injects": [inject]}, sort_keys=False)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as caught:
        do_apply_scenario(uow, cast.boss, source)
    found = {e.field: e.reason for e in caught.value.errors}
    assert field in found, found
    assert words in found[field]
    assert "(line " in found[field]


def test_a_device_in_an_unknown_zone_is_a_scenario_error(db: Database, cast: Cast) -> None:
    site = {"name": "DC1", "devices": [{"kind": "door", "external_id": "d", "zone": "Nope"}]}
    source = yaml.safe_dump({**SCENARIO, "site": site}, sort_keys=False)
    with db.unit_of_work() as uow, pytest.raises(InvalidInput) as caught:
        do_apply_scenario(uow, cast.boss, source)
    assert caught.value.errors[0].field == "site.devices.0.zone"
