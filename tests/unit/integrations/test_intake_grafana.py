"""Grafana unified alerting webhook parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from muster.errors import InvalidInput
from muster.integrations.grafana import parse_grafana

GRAFANA = "https://grafana.example"


def grafana_alert(name: str, status: str, fingerprint: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "grafana_folder": "Infra", "severity": "warning"},
        "annotations": {"summary": f"{name} on node-1", "description": "CPU above 90%"},
        "startsAt": "2026-01-05T09:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-01-05T09:30:00Z",
        "generatorURL": f"{GRAFANA}/alerting/grafana/abc/view?orgId=1",
        "fingerprint": fingerprint,
        "silenceURL": f"{GRAFANA}/alerting/silence/new?alertmanager=grafana",
        "dashboardURL": f"{GRAFANA}/d/dash1?orgId=1",
        "panelURL": f"{GRAFANA}/d/dash1?orgId=1&viewPanel=2",
        "values": {"B": 93.5, "C": 1},
        "valueString": "[ var='B' labels={} value=93.5 ]",
        "imageURL": "https://images.example/panel.png",
    }


def grafana_body(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "receiver": "muster",
        "status": "firing",
        "orgId": 1,
        "alerts": list(alerts),
        "groupLabels": {"alertname": "HighCPU"},
        "commonLabels": {"grafana_folder": "Infra"},
        "commonAnnotations": {},
        "externalURL": GRAFANA,
        "version": "1",
        "groupKey": '{}/{}:{alertname="HighCPU"}',
        "truncatedAlerts": 0,
        "title": "[FIRING:1] HighCPU Infra",
        "state": "alerting",
        "message": "**Firing**\n\nValue: B=93.5",
    }


def test_firing_and_resolved_alerts() -> None:
    body = grafana_body(
        grafana_alert("HighCPU", "firing", "f00d"),
        grafana_alert("HighMemory", "resolved", "beef"),
    )
    batch = parse_grafana(json.dumps(body).encode())
    firing, resolved = batch.alerts
    assert (firing.action, firing.dedup_key) == ("trigger", "f00d")
    assert (resolved.action, resolved.dedup_key) == ("resolve", "beef")
    assert firing.summary == "HighCPU on node-1"
    assert firing.severity == "warning"
    assert firing.ends_at is None
    assert resolved.ends_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert [(link.text, link.href) for link in firing.links] == [
        ("Dashboard", f"{GRAFANA}/d/dash1?orgId=1"),
        ("Panel", f"{GRAFANA}/d/dash1?orgId=1&viewPanel=2"),
        ("Silence", f"{GRAFANA}/alerting/silence/new?alertmanager=grafana"),
    ]
    (image,) = firing.images
    assert image.src == "https://images.example/panel.png"
    assert image.href == f"{GRAFANA}/d/dash1?orgId=1&viewPanel=2"
    assert firing.custom_details == {
        "values": {"B": 93.5, "C": 1},
        "valueString": "[ var='B' labels={} value=93.5 ]",
    }
    assert firing.generator_url == f"{GRAFANA}/alerting/grafana/abc/view?orgId=1"
    assert batch.group_key == '{}/{}:{alertname="HighCPU"}'


def test_missing_optional_urls_and_values() -> None:
    alert = grafana_alert("HighCPU", "firing", "f00d")
    for key in ("silenceURL", "dashboardURL", "panelURL", "values", "valueString", "imageURL"):
        del alert[key]
    parsed = parse_grafana(grafana_body(alert)).alerts[0]
    assert parsed.links == []
    assert parsed.images == []
    assert parsed.custom_details == {}


def test_empty_or_unsafe_urls_are_dropped() -> None:
    alert = grafana_alert("HighCPU", "firing", "f00d")
    alert["dashboardURL"] = ""
    alert["panelURL"] = "data:text/html,<script>alert(1)</script>"
    alert["imageURL"] = ""
    parsed = parse_grafana(grafana_body(alert)).alerts[0]
    assert [link.text for link in parsed.links] == ["Silence"]
    assert parsed.images == []


def test_wrong_types_are_named() -> None:
    alert = grafana_alert("HighCPU", "firing", "f00d")
    alert["values"] = [1, 2]
    alert["panelURL"] = 3
    with pytest.raises(InvalidInput) as caught:
        parse_grafana(grafana_body(alert))
    assert {e.field: e.reason for e in caught.value.errors} == {
        "alerts[0].panelURL": "must be a string, not a number",
        "alerts[0].values": "must be an object, not a list",
    }
    assert caught.value.detail == "The Grafana payload is invalid."
