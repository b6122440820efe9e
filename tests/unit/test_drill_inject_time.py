"""An alert inject's vendor timestamps move to the moment it fires: each written back in
its own form (ISO 8601 shape, epoch unit and type), several in one payload keeping their
distances, the latest at the fire time; what is not a timestamp, or unset, stays."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from muster.domain.drills.inject_time import STAMPS, at_fire_time, stamps_of
from muster.domain.drills.intake import integration_config, parse_alerts
from muster.integrations.access_control import AccessBatch
from muster.integrations.access_control_presets import PRESETS
from muster.integrations.fields import parse_timestamp
from muster.integrations.frigate import Review

NOW = datetime(2027, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
SHIPPED = Path(__file__).parents[2] / "src" / "muster" / "domain" / "drills" / "shipped"
PAYLOADS = Path(__file__).parent / "integrations" / "security_payloads"


@pytest.mark.parametrize(("written", "moved"), [
    ("2026-11-24T08:15:02.114+0000", "2027-03-01T12:00:00.250+0000"),
    ("2026-11-24T08:17:44.512880331Z", "2027-03-01T12:00:00.250000000Z"),
    ("2026-01-01T00:00:00Z", "2027-03-01T12:00:00Z"),
    ("2026-11-24T10:15:02.5+02:00", "2027-03-01T14:00:00.2+02:00"),
    ("2026-11-24T03:15:02-0500", "2027-03-01T07:00:00-0500"),
    ("2026-11-24 08:15:02,114", "2027-03-01 12:00:00,250"),
])  # fmt: skip
def test_an_iso_timestamp_keeps_its_shape(written: str, moved: str) -> None:
    assert at_fire_time("wazuh", {"timestamp": written}, {}, NOW) == {"timestamp": moved}
    assert abs(parse_timestamp(moved) - NOW) < timedelta(seconds=1)


def test_epoch_times_keep_their_unit_and_type() -> None:
    now = NOW.replace(microsecond=0)
    seconds = int(now.timestamp())
    falco = at_fire_time("falco", {"output_fields": {"evt.time": 1795508264512880331}}, {}, now)
    # the latest at the fire time to the microsecond; the nanoseconds below stay
    assert falco == {"output_fields": {"evt.time": seconds * 10**9 + 331}}
    splunk = at_fire_time("splunk", {"result": {"_time": "1795508160"}}, {}, now)
    assert splunk == {"result": {"_time": str(seconds)}}
    splunk = at_fire_time("splunk", {"result": {"_time": "1795508160.125"}}, {}, now)
    assert splunk == {"result": {"_time": f"{seconds}.000"}}
    verkada = {"data": {"notification_type": "dfo", "door_id": "d", "created": 1795497302}}
    moved = at_fire_time("access_control", verkada, {"preset": "verkada"}, now)
    assert moved == {"data": {"notification_type": "dfo", "door_id": "d", "created": seconds}}
    cef = "CEF:0|V|P|1|9|Drop|7|act=Drop rt=1795508222000 msg=x start=1795508221500 end=Nov 24"
    assert at_fire_time("cef", cef, {}, now) == (
        f"CEF:0|V|P|1|9|Drop|7|act=Drop rt={seconds}000 msg=x start={seconds - 1}500 end=Nov 24"
    )


def test_several_timestamps_keep_their_distances_and_the_latest_is_the_fire_time() -> None:
    review = {"type": "end", "before": {}, "after": {"id": "r", "start_time": 1795497361.4,
                                                     "end_time": 1795497391.9}}  # fmt: skip
    after = at_fire_time("frigate", review, {}, NOW)["after"]  # type: ignore[index]
    assert after["end_time"] == NOW.timestamp()
    assert after["start_time"] == pytest.approx(NOW.timestamp() - 30.5, abs=1e-6)
    assert review["after"]["start_time"] == 1795497361.4, "the scenario's payload is left as is"

    lines = (PAYLOADS / "suricata_eve.jsonl").read_text()
    moved = at_fire_time("suricata", lines, {}, NOW)
    assert isinstance(moved, str)
    before = [json.loads(line) for line in lines.splitlines() if line.strip()]
    after_lines = [json.loads(line) for line in moved.splitlines()]
    stamps = [parse_timestamp(r["timestamp"]) for r in after_lines]
    assert max(stamps) == NOW
    originals = [parse_timestamp(r["timestamp"]) for r in before]
    assert [s - stamps[0] for s in stamps] == [o - originals[0] for o in originals]
    flow = after_lines[0]["flow"]
    assert parse_timestamp(flow["end"]) == stamps[0]  # the first record's flow ended with it


def test_a_firing_alerts_end_follows_and_gos_zero_time_stays() -> None:
    alerts = {"alerts": [
        {"startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-01-01T00:05:00Z"},
        {"startsAt": "2026-01-01T00:01:00Z", "endsAt": "0001-01-01T00:00:00Z"},
    ]}  # fmt: skip
    moved: Any = at_fire_time("alertmanager", alerts, {}, NOW.replace(microsecond=0))
    assert moved["alerts"] == [
        {"startsAt": "2027-03-01T11:59:00Z", "endsAt": "2027-03-01T12:04:00Z"},
        {"startsAt": "2027-03-01T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z"},
    ]


def test_what_is_not_a_timestamp_stays_for_the_parser_to_judge() -> None:
    for payload in ({"timestamp": "yesterday"}, {"timestamp": 1795508102}, {"rule": {}}):
        assert at_fire_time("wazuh", payload, {}, NOW) == payload
    assert at_fire_time("wazuh", "{not json", {}, NOW) == "{not json"
    generic = {"summary": "s", "timestamp": "2026-01-01T00:00:00Z"}
    assert at_fire_time("generic", generic, integration_config("generic", preset=None,
                                                               site_id=None), NOW) == generic  # fmt: skip


def test_flattened_and_nested_ecs_keys_both_move() -> None:
    doc = {"alerts": [
        {"@timestamp": "2026-11-24T08:15:40.221Z", "kibana.alert.original_time": "2026-11-24T08:15:02.114Z"},
        {"@timestamp": "2026-11-24T08:14:00.000Z", "kibana": {"alert": {"original_time": "2026-11-24T08:13:00.000Z"}}},
    ]}  # fmt: skip
    moved: Any = at_fire_time("elastic", doc, {}, NOW)
    first, second = moved["alerts"]
    assert first["@timestamp"] == "2027-03-01T12:00:00.250Z"
    assert first["kibana.alert.original_time"] == "2027-03-01T11:59:22.143Z"
    assert (
        second["kibana"]["alert"]["original_time"] == "2027-03-01T11:57:20.029Z"
    )  # 160.221 s before


def test_access_control_paths_are_each_presets_own() -> None:
    for name, preset in PRESETS.items():
        paths = preset["timestamp"]
        expected = [paths] if isinstance(paths, str) else paths
        assert [f"$.{s.path}" for s in stamps_of("access_control", {"preset": name})] == expected
    muster = {"kind": "door_forced_open", "door": "d", "time": "2026-11-24T02:41:00Z"}
    assert at_fire_time("access_control", muster, {"preset": "muster"}, NOW) == {
        **muster,
        "time": "2027-03-01T12:00:00Z",
    }


def _shipped_alert_injects() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(SHIPPED.glob("*.yaml")):
        scenario = yaml.safe_load(path.read_text())
        for inject in scenario["injects"]:
            if inject["kind"] == "alert":
                found.append((f"{scenario['key']}:{inject['name']}", inject))
    return found


@pytest.mark.parametrize(("name", "inject"), _shipped_alert_injects())
def test_every_shipped_alert_inject_reads_as_fired_now(name: str, inject: dict[str, Any]) -> None:
    """The table covers the timestamps the shipped scenarios' parsers read."""
    format = inject["format"]
    config = {**integration_config(format, preset=inject.get("preset"), site_id="-"),
              "topic": inject.get("topic")}  # fmt: skip
    payload = copy.deepcopy(inject["payload"])
    moved = at_fire_time(format, payload, config, NOW.replace(microsecond=0))
    assert payload == inject["payload"]
    parsed = parse_alerts(format, moved, config, "0" * 32)
    if isinstance(parsed, AccessBatch):
        times = [e.occurred_at for e in parsed.events]
    elif isinstance(parsed, Review):
        times = [parsed.started_at]
    elif format == "splunk":
        times = [datetime.fromtimestamp(int(moved["result"]["_time"]), UTC)]  # type: ignore[index]
    else:
        assert isinstance(parsed, list)
        times = [a.occurred_at for a in parsed]
    if format == "generic":
        assert times == [None]  # the alert's time is when it is stored
        assert not STAMPS.get(format)
        return
    assert max(t for t in times if t is not None) == NOW.replace(microsecond=0), name
