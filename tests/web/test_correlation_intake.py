"""Grouping across sources through the real intake: a Wazuh alert on one service and two
Suricata EVE alerts (one request, two lines) on another, from the same attacker, end up
in one cluster that says they share the source IP; an unrelated scan stays alone."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from alert_support import make_service
from correlation_support import group_alerts
from helpers import Person
from muster.clock import ManualClock
from muster.db.uow import Database

ATTACKER = "203.0.113.7"


def ingest_path(client: TestClient, manager: Person, service_id: str, type: str) -> str:
    r = client.post(f"/api/v1/services/{service_id}/integrations", json={"type": type},
                    headers=manager.auth)  # fmt: skip
    assert r.status_code == 201, r.text
    url: str = r.json()["url"]
    return url[url.index("/ingest/") :]


def wazuh_alert() -> dict[str, Any]:
    return {
        "timestamp": "2026-01-05T08:58:12.345+0000",
        "rule": {"level": 10, "description": "sshd: brute force trying to get access to the system.",
                 "id": "5712", "firedtimes": 8, "groups": ["syslog", "sshd", "authentication_failures"],
                 "mitre": {"id": ["T1110"], "tactic": ["Credential Access"], "technique": ["Brute Force"]}},
        "agent": {"id": "004", "name": "bastion-01", "ip": "10.0.0.15"},
        "manager": {"name": "wazuh-manager"},
        "id": "1736067492.1234567",
        "full_log": f"Jan  5 08:58:12 bastion-01 sshd[2211]: Failed password for invalid user admin from {ATTACKER} port 51022 ssh2",
        "decoder": {"parent": "sshd", "name": "sshd"},
        "data": {"srcip": ATTACKER, "srcport": "51022", "srcuser": "admin"},
        "location": "/var/log/auth.log",
    }  # fmt: skip


def eve(src: str, dest: str, sid: int, signature: str, flow: int) -> str:
    return json.dumps({
        "timestamp": "2026-01-05T08:59:01.120455+0000", "flow_id": flow, "in_iface": "eth0",
        "event_type": "alert", "src_ip": src, "src_port": 44321, "dest_ip": dest, "dest_port": 22,
        "proto": "TCP", "host": "ids-dmz",
        "alert": {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 7,
                  "signature": signature, "category": "Attempted Information Leak", "severity": 2,
                  "metadata": {"mitre_technique_id": ["T1046"]}},
    })  # fmt: skip


def test_alerts_from_wazuh_and_suricata_group_by_the_attacker(
    client: TestClient, db: Database, clock: ManualClock, people: dict[str, Person]
) -> None:
    manager = people["manager"]
    hosts = ingest_path(client, manager, make_service(client, manager, "hosts"), "wazuh")
    network = ingest_path(client, manager, make_service(client, manager, "network"), "suricata")
    assert client.post(hosts, json=wazuh_alert()).status_code == 202
    clock.advance(minutes=3)
    lines = "\n".join([
        eve(ATTACKER, "10.0.0.15", 2001219, "ET SCAN Potential SSH Scan", 1),
        eve(ATTACKER, "10.0.0.16", 2003068, "ET SCAN Potential SSH Scan OUTBOUND", 2),
        json.dumps({"timestamp": "2026-01-05T08:59:02+0000", "event_type": "flow", "src_ip": ATTACKER}),
    ])  # fmt: skip
    r = client.post(network, content=lines.encode())
    assert r.status_code == 202, r.text
    clock.advance(minutes=1)
    other = eve(
        "198.51.100.20", "192.0.2.80", 2100498, "GPL ATTACK_RESPONSE id check returned root", 3
    )
    assert client.post(network, content=other.encode()).status_code == 202
    assert group_alerts(db) == 4
    viewer = people["viewer"].auth
    (cluster,) = client.get("/api/v1/alert-clusters", headers=viewer).json()["items"]
    members = cluster["members"]
    assert cluster["alert_count"] == 3
    assert [m["integration_type"] for m in members] == ["wazuh", "suricata", "suricata"]
    assert len({m["service_id"] for m in members}) == 2
    for m in members[1:]:
        assert {"kind": "ip", "value": ATTACKER} in m["shared"]
    assert members[0]["via_alert_id"] is None
