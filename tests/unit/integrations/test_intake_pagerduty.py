"""PagerDuty Events API v2: enqueue and change events, and every validation error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from muster.errors import InvalidInput, TooLarge
from muster.integrations.pagerduty_v2 import errors_as_pagerduty, parse_change, parse_enqueue

ROUTING_KEY = "R0123456789abcdef0123456789abcde"


def trigger(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "srv01/disk",
        "payload": {
            "summary": "Disk /var is 95% full on srv01",
            "source": "srv01.example.com",
            "severity": "critical",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "disk",
            "custom_details": {"free space": "1%", "ping time": "1500ms"},
        },
        "images": [
            {
                "src": "https://chart.example/disk.png",
                "href": "https://dash.example/disk",
                "alt": "Disk graph",
            }
        ],
        "links": [{"href": "https://runbooks.example/disk", "text": "Runbook"}],
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
    }
    for key, value in changes.items():
        if key.startswith("payload_"):
            name = key.removeprefix("payload_")
            if value is _DROP:
                event["payload"].pop(name, None)
            else:
                event["payload"][name] = value
        elif value is _DROP:
            event.pop(key, None)
        else:
            event[key] = value
    return event


_DROP = object()


def test_trigger_is_fully_parsed() -> None:
    parsed = parse_enqueue(json.dumps(trigger()).encode())
    assert parsed.routing_key == ROUTING_KEY
    alert = parsed.alert
    assert alert.action == "trigger"
    assert alert.dedup_key == "srv01/disk"
    assert alert.summary == "Disk /var is 95% full on srv01"
    assert alert.source == "srv01.example.com"
    assert alert.severity == "critical"
    assert alert.occurred_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert (alert.component, alert.group, alert.class_) == ("postgres", "prod-datapipe", "disk")
    assert alert.custom_details == {"free space": "1%", "ping time": "1500ms"}
    assert alert.images[0].src == "https://chart.example/disk.png"
    assert alert.images[0].href == "https://dash.example/disk"
    assert alert.images[0].alt == "Disk graph"
    assert alert.links[0].href == "https://runbooks.example/disk"
    assert alert.links[0].text == "Runbook"
    assert alert.client == "Sample Monitoring Service"
    assert alert.client_url == "https://monitoring.example.com"
    assert "routing_key" not in alert.raw  # a credential, not alert content
    assert alert.raw["payload"] == trigger()["payload"]


def test_trigger_without_dedup_key_leaves_it_to_the_caller() -> None:
    assert parse_enqueue(trigger(dedup_key=_DROP)).alert.dedup_key is None


def test_timestamp_offsets_are_converted_to_utc() -> None:
    alert = parse_enqueue(trigger(payload_timestamp="2026-03-29T02:30:00+02:00")).alert
    assert alert.occurred_at == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        ("a plain string", {"details": "a plain string"}),
        ([1, 2], {"details": [1, 2]}),
        (None, {}),
        ({"k": {"nested": True}}, {"k": {"nested": True}}),
    ],
)
def test_custom_details_that_are_not_objects_are_wrapped(details: Any, expected: Any) -> None:
    alert = parse_enqueue(trigger(payload_custom_details=details)).alert
    assert alert.custom_details == expected


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_only_the_key(action: str) -> None:
    event = {"routing_key": ROUTING_KEY, "event_action": action, "dedup_key": "srv01/disk"}
    parsed = parse_enqueue(event)
    assert parsed.alert.action == action
    assert parsed.alert.dedup_key == "srv01/disk"


def test_acknowledge_ignores_a_bad_payload_like_pagerduty() -> None:
    event = {
        "routing_key": ROUTING_KEY,
        "event_action": "acknowledge",
        "dedup_key": "k",
        "payload": {"severity": "loud"},
    }
    assert parse_enqueue(event).alert.action == "acknowledge"


def test_change_event() -> None:
    body = {
        "routing_key": ROUTING_KEY,
        "payload": {
            "summary": "Build #42 deployed to production",
            "timestamp": "2026-01-05T10:00:00Z",
            "source": "ci.example.com",
            "custom_details": {"build_state": "passed", "build_number": "42"},
        },
        "links": [{"href": "https://ci.example.com/builds/42", "text": "Build 42"}],
    }
    parsed = parse_change(json.dumps(body).encode())
    assert parsed.routing_key == ROUTING_KEY
    change = parsed.change
    assert change.summary == "Build #42 deployed to production"
    assert change.source == "ci.example.com"
    assert change.timestamp == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert change.custom_details == {"build_state": "passed", "build_number": "42"}
    assert change.links[0].text == "Build 42"


def test_change_event_errors() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_change({"payload": {"summary": "x" * 1025, "timestamp": "nope"}})
    assert errors_as_pagerduty(caught.value) == [
        "'routing_key' is missing or blank",
        "'payload.summary' must be at most 1024 characters (got 1025)",
        "'payload.timestamp' is not an ISO 8601 date-time (got 'nope')",
    ]


def pd_errors(event: object) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_enqueue(event)
    assert caught.value.detail == "Event object is invalid"
    return errors_as_pagerduty(caught.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"routing_key": _DROP}, "'routing_key' is missing or blank"),
        ({"routing_key": "  "}, "'routing_key' is missing or blank"),
        ({"routing_key": 12}, "'routing_key' must be a string, not a number"),
        ({"event_action": _DROP}, "'event_action' is missing or blank"),
        (
            {"event_action": "explode"},
            "'event_action' must be one of trigger, acknowledge, resolve (got 'explode')",
        ),
        (
            {"event_action": "TRIGGER"},
            "'event_action' must be one of trigger, acknowledge, resolve (got 'TRIGGER')",
        ),
        ({"payload": _DROP}, "'payload' is missing"),
        ({"payload": "text"}, "'payload' must be an object, not a string"),
        ({"payload_summary": _DROP}, "'payload.summary' is missing or blank"),
        ({"payload_summary": ""}, "'payload.summary' is missing or blank"),
        ({"payload_summary": "\x00\x01"}, "'payload.summary' is missing or blank"),
        ({"payload_summary": ["a"]}, "'payload.summary' must be a string, not a list"),
        (
            {"payload_summary": "s" * 1025},
            "'payload.summary' must be at most 1024 characters (got 1025)",
        ),
        ({"payload_source": _DROP}, "'payload.source' is missing or blank"),
        ({"payload_severity": _DROP}, "'payload.severity' is missing or blank"),
        (
            {"payload_severity": "high"},
            "'payload.severity' must be one of critical, error, warning, info (got 'high')",
        ),
        (
            {"payload_timestamp": "2026-13-01T00:00:00Z"},
            "'payload.timestamp' is not a valid date-time (got '2026-13-01T00:00:00Z')",
        ),
        (
            {"payload_timestamp": "last tuesday"},
            "'payload.timestamp' is not an ISO 8601 date-time (got 'last tuesday')",
        ),
        ({"payload_timestamp": 1700000000}, "'payload.timestamp' must be a string, not a number"),
        ({"payload_component": 5}, "'payload.component' must be a string, not a number"),
        ({"payload_class": True}, "'payload.class' must be a string, not a boolean"),
        ({"dedup_key": "k" * 256}, "'dedup_key' must be at most 255 characters (got 256)"),
        ({"dedup_key": 7}, "'dedup_key' must be a string, not a number"),
        ({"links": {"href": "x"}}, "'links' must be a list, not an object"),
        ({"links": ["https://x.example"]}, "'links[0]' must be an object, not a string"),
        ({"links": [{"text": "no href"}]}, "'links[0].href' is missing or blank"),
        (
            {"links": [{"href": "javascript:alert(1)"}]},
            "'links[0].href' must be an absolute http or https URL",
        ),
        ({"images": [{"alt": "x"}]}, "'images[0].src' is missing or blank"),
        (
            {"images": [{"src": "https://a.example/i.png", "href": 3}]},
            "'images[0].href' must be a string, not a number",
        ),
        ({"client_url": "ftp://x.example"}, "'client_url' must be an absolute http or https URL"),
    ],
)
def test_each_validation_error(changes: dict[str, Any], message: str) -> None:
    assert pd_errors(trigger(**changes)) == [message]


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_a_dedup_key(action: str) -> None:
    event = {"routing_key": ROUTING_KEY, "event_action": action}
    assert pd_errors(event) == ["'dedup_key' is missing or blank"]


def test_dedup_key_of_255_characters_is_fine() -> None:
    assert parse_enqueue(trigger(dedup_key="k" * 255)).alert.dedup_key == "k" * 255


def test_summary_of_1024_characters_is_fine() -> None:
    assert len(parse_enqueue(trigger(payload_summary="s" * 1024)).alert.summary) == 1024


def test_all_errors_are_reported_at_once() -> None:
    event = {"event_action": "trigger", "payload": {"severity": "loud"}}
    assert pd_errors(event) == [
        "'routing_key' is missing or blank",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' must be one of critical, error, warning, info (got 'loud')",
    ]


def test_body_that_is_not_an_object() -> None:
    assert pd_errors([trigger()]) == ["'body' must be a JSON object, not a list"]
    with pytest.raises(InvalidInput) as caught:
        parse_enqueue(b"{not json")
    assert errors_as_pagerduty(caught.value) == [
        "'body' is not valid JSON: Expecting property name enclosed in double quotes "
        "at line 1 column 2"
    ]


def test_body_over_512_kb_is_too_large() -> None:
    event = trigger(payload_custom_details={"blob": "x" * (512 * 1024)})
    with pytest.raises(TooLarge) as caught:
        parse_enqueue(json.dumps(event).encode())
    assert errors_as_pagerduty(caught.value) == [caught.value.detail]
