"""Alertmanager webhook (version 4) parsing, on real payload shapes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from muster.errors import InvalidInput
from muster.integrations.alertmanager import labels_hash, parse_alertmanager

GROUP_KEY = '{}:{alertname="HighLatency"}'


def am_alert(
    instance: str,
    *,
    status: str = "firing",
    fingerprint: str | None = None,
    ends_at: str = "0001-01-01T00:00:00Z",
) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "status": status,
        "labels": {
            "alertname": "HighLatency",
            "instance": instance,
            "job": "api",
            "severity": "page",
            "namespace": "prod",
        },
        "annotations": {
            "summary": f"p99 latency above 2s on {instance}",
            "description": "The API answers slowly.\nCheck the database.",
            "runbook_url": "https://runbooks.example/latency",
        },
        "startsAt": "2026-01-05T09:00:00.123456789Z",
        "endsAt": ends_at,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=latency",
    }
    if fingerprint is not None:
        alert["fingerprint"] = fingerprint
    return alert


def am_group(*alerts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    body: dict[str, Any] = {
        "version": "4",
        "groupKey": GROUP_KEY,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "muster",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency", "job": "api"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }
    body.update(extra)
    return body


FIRING = am_group(
    am_alert("api-1:9100", fingerprint="a1b2c3d4e5f60718"),
    am_alert("api-2:9100", fingerprint="0f1e2d3c4b5a6978"),
)


def test_firing_group_gives_one_trigger_per_alert() -> None:
    batch = parse_alertmanager(json.dumps(FIRING).encode())
    assert batch.group_key == GROUP_KEY
    assert batch.receiver == "muster"
    assert batch.truncated_alerts == 0
    assert [a.dedup_key for a in batch.alerts] == ["a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"]
    first = batch.alerts[0]
    assert first.action == "trigger"
    assert first.summary == "p99 latency above 2s on api-1:9100"
    assert first.details == "The API answers slowly.\nCheck the database."
    assert first.severity == "critical"  # "page"
    assert first.source == "api-1:9100"
    assert first.component == "api"
    assert first.group == "prod"
    assert first.class_ == "HighLatency"
    assert first.labels["job"] == "api"
    assert first.annotations["runbook_url"] == "https://runbooks.example/latency"
    assert first.occurred_at == datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)
    assert first.ends_at is None  # Go's zero time
    assert first.generator_url == "http://prometheus:9090/graph?g0.expr=latency"
    assert first.raw["fingerprint"] == "a1b2c3d4e5f60718"


def test_same_group_resent_with_one_alert_resolved() -> None:
    resent = am_group(
        am_alert("api-1:9100", fingerprint="a1b2c3d4e5f60718"),
        am_alert(
            "api-2:9100",
            status="resolved",
            fingerprint="0f1e2d3c4b5a6978",
            ends_at="2026-01-05T09:12:00+01:00",
        ),
    )
    assert resent["status"] == "firing"  # the top-level status is not per alert
    batch = parse_alertmanager(resent)
    assert [(a.dedup_key, a.action) for a in batch.alerts] == [
        ("a1b2c3d4e5f60718", "trigger"),
        ("0f1e2d3c4b5a6978", "resolve"),
    ]
    assert batch.alerts[1].ends_at == datetime(2026, 1, 5, 8, 12, tzinfo=UTC)


def test_resolved_alert_never_seen_firing_still_parses() -> None:
    body = am_group(
        am_alert("api-9:9100", status="resolved", ends_at="2026-01-05T09:00:30Z"),
    )
    batch = parse_alertmanager(body)
    (alert,) = batch.alerts
    assert alert.action == "resolve"
    assert alert.dedup_key == labels_hash(alert.labels)  # no fingerprint: hash of labels


def test_label_hash_is_stable_and_order_free() -> None:
    assert labels_hash({"a": "1", "b": "2"}) == labels_hash({"b": "2", "a": "1"})
    assert labels_hash({"a": "1"}) != labels_hash({"a": "2"})


def test_truncated_alerts_recorded() -> None:
    batch = parse_alertmanager(am_group(am_alert("x"), truncatedAlerts=42))
    assert batch.truncated_alerts == 42


def test_unknown_fields_are_ignored() -> None:
    body = copy.deepcopy(FIRING)
    body["notification_reason"] = "repeat"
    body["alerts"][0]["some_future_field"] = {"nested": [1, 2]}
    body["version"] = "5"
    batch = parse_alertmanager(body)
    assert len(batch.alerts) == 2


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("critical", "critical"),
        ("P1", "critical"),
        ("high", "error"),
        ("major", "error"),
        ("warn", "warning"),
        ("medium", "warning"),
        ("low", "info"),
        ("none", "info"),
        ("banana", "warning"),
    ],
)
def test_severity_label_mapping(word: str, severity: str) -> None:
    alert = am_alert("x")
    alert["labels"]["severity"] = word
    assert parse_alertmanager(am_group(alert)).alerts[0].severity == severity


def test_missing_severity_label_is_warning() -> None:
    alert = am_alert("x")
    del alert["labels"]["severity"]
    assert parse_alertmanager(am_group(alert)).alerts[0].severity == "warning"


def test_summary_falls_back_to_description_then_labels() -> None:
    alert = am_alert("x")
    del alert["annotations"]["summary"]
    assert parse_alertmanager(am_group(alert)).alerts[0].summary.startswith("The API answers")
    alert["annotations"] = {}
    summary = parse_alertmanager(am_group(alert)).alerts[0].summary
    assert summary == "HighLatency (instance=x, job=api, namespace=prod, severity=page)"


def test_control_characters_are_removed_from_summary() -> None:
    alert = am_alert("x")
    alert["annotations"]["summary"] = "disk\x00 full\x1b[31m on\u202e db1\r\n"
    assert parse_alertmanager(am_group(alert)).alerts[0].summary == "disk full[31m on db1"


def test_long_summary_is_truncated_not_refused() -> None:
    alert = am_alert("x")
    alert["annotations"]["summary"] = "s" * 5000
    summary = parse_alertmanager(am_group(alert)).alerts[0].summary
    assert len(summary) == 1024
    assert summary.endswith("\u2026")


def test_unsafe_generator_url_is_dropped() -> None:
    alert = am_alert("x")
    alert["generatorURL"] = "javascript:alert(1)"
    assert parse_alertmanager(am_group(alert)).alerts[0].generator_url is None


def errors_of(body: object) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        parse_alertmanager(body)
    return {e.field: e.reason for e in caught.value.errors}


def test_alerts_must_be_a_list() -> None:
    assert errors_of({"version": "4"}) == {"alerts": "is missing"}
    assert errors_of({"alerts": {"a": 1}}) == {"alerts": "must be a list, not an object"}
    assert errors_of([1, 2]) == {"body": "must be a JSON object, not a list"}


def test_each_alert_needs_labels_and_status() -> None:
    bad = am_alert("x")
    del bad["labels"]
    del bad["status"]
    errors = errors_of(am_group(am_alert("ok"), bad, "not an alert"))  # type: ignore[arg-type]
    assert errors == {
        "alerts[1].status": "is missing",
        "alerts[1].labels": "is missing",
        "alerts[2]": "must be an object, not a string",
    }


def test_wrong_types_and_values_are_named() -> None:
    bad = am_alert("x")
    bad["status"] = "exploded"
    bad["labels"]["replicas"] = 3
    bad["startsAt"] = "yesterday"
    errors = errors_of(am_group(bad, truncatedAlerts=-1))
    assert errors["truncatedAlerts"] == "must be a non-negative integer"
    assert errors["alerts[0].status"].startswith("must be 'firing' or 'resolved'")
    assert errors["alerts[0].labels.replicas"] == "must be a string, not a number"
    assert errors["alerts[0].startsAt"].startswith("is not an ISO 8601 date-time")


def test_label_limits() -> None:
    too_many = am_alert("x")
    too_many["labels"] = {f"l{i}": "v" for i in range(201)}
    assert errors_of(am_group(too_many)) == {
        "alerts[0].labels": "must have at most 200 entries (got 201)"
    }
    long_name = am_alert("x")
    long_name["labels"]["n" * 1025] = "v"
    assert "alerts[0].labels" in errors_of(am_group(long_name))
    long_value = am_alert("x")
    long_value["labels"]["big"] = "v" * 10_000
    labels = parse_alertmanager(am_group(long_value)).alerts[0].labels
    assert len(labels["big"]) == 4096
