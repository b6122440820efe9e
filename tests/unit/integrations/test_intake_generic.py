"""Generic JSON webhooks through a stored mapping, and the mapping's validation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from muster.errors import InvalidInput
from muster.integrations.generic import FieldPreview, parse_generic, preview
from muster.integrations.generic_mapping import GenericMapping, validate_mapping
from muster.integrations.normalized import Link

# A monitoring tool that sends several checks per request.
CHECKS: dict[str, Any] = {
    "account": {"name": "acme", "region": "eu-west"},
    "checks": [
        {
            "id": 101,
            "check": {"title": "API health", "host": "api-1"},
            "state": "CRITICAL",
            "level": "sev-a",
            "when": "2026-01-05T09:00:00+01:00",
            "urls": [{"url": "https://mon.example/checks/101", "name": "Check"}],
            "output": {"code": 503, "body": "unavailable"},
        },
        {
            "id": 102,
            "check": {"title": "DB replication", "host": "db-2"},
            "state": "OK",
            "level": "minor",
        },
        {"id": 103, "check": {"host": "cache-1"}, "state": "WARNING"},
    ],
}

MAPPING = GenericMapping(
    items="$.checks",
    summary=["@.check.title", "literal:Untitled check"],
    dedup_key="@.id",
    action="@.state",
    severity="@.level",
    source=["@.check.host", "$.account.name"],
    group="$.account.region",
    details="@.output",
    timestamp="@.when",
    links="@.urls",
    status_map={"ok": "resolve", "CRITICAL": "trigger", "warning": "trigger"},
    severity_map={"SEV-A": "critical"},
)


def test_list_of_alerts_with_nested_paths_and_maps() -> None:
    batch = parse_generic(json.dumps(CHECKS).encode(), MAPPING)
    first, second, third = batch.alerts
    assert first.summary == "API health"
    assert first.dedup_key == "101"
    assert first.action == "trigger"
    assert first.severity == "critical"  # through severity_map
    assert first.source == "api-1"
    assert first.group == "eu-west"
    assert json.loads(first.details) == {"code": 503, "body": "unavailable"}
    assert first.occurred_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert first.links == [Link(href="https://mon.example/checks/101", text="Check")]
    assert first.raw["id"] == 101
    assert (second.action, second.severity) == ("resolve", "warning")  # "minor" → warning
    assert third.summary == "Untitled check"  # the literal fallback
    assert third.severity == "warning"  # no level: default_severity


def test_single_alert_without_items() -> None:
    mapping = GenericMapping(
        summary="$.alert['short text']",
        dedup_key="$.alert.key",
        severity="literal:error",
        links="$.links[*]",
        details="$.alert.tags",
    )
    body = {
        "alert": {"short text": "Queue backed up", "key": "q-1", "tags": ["queue", "prod"]},
        "links": ["https://a.example/1", "javascript:void(0)", "https://a.example/2"],
    }
    (alert,) = parse_generic(body, mapping).alerts
    assert alert.summary == "Queue backed up"
    assert alert.severity == "error"
    assert alert.action == "trigger"  # default_action
    assert alert.details == "queue, prod"
    assert [link.href for link in alert.links] == ["https://a.example/1", "https://a.example/2"]
    assert alert.source == "generic"


def test_wildcard_summary_joins_the_values() -> None:
    mapping = GenericMapping(summary="$.errors[*].message")
    body = {"errors": [{"message": "disk"}, {"message": "cpu"}]}
    assert parse_generic(body, mapping).alerts[0].summary == "disk, cpu"


def test_long_dedup_key_is_hashed() -> None:
    mapping = GenericMapping(summary="literal:x", dedup_key="$.k")
    key = parse_generic({"k": "k" * 300}, mapping).alerts[0].dedup_key
    assert key is not None
    assert key.startswith("sha256:")
    assert len(key) <= 255


def test_payload_errors_name_the_item_and_field() -> None:
    body = {
        "checks": [
            {"id": 1, "check": {"title": "ok"}, "state": "exploded"},
            {"check": {"title": "no id"}, "state": "ok"},
            {"id": 3, "check": {"title": "bad time"}, "when": "soon"},
        ]
    }
    mapping = GenericMapping(
        items="$.checks",
        summary="@.check.title",
        dedup_key="@.id",
        action="@.state",
        timestamp="@.when",
        status_map={"ok": "resolve"},
    )
    with pytest.raises(InvalidInput) as caught:
        parse_generic(body, mapping)
    errors = {e.field: e.reason for e in caught.value.errors}
    assert errors == {
        "items[0].action": "gave 'exploded', which is neither in status_map nor one of "
        "trigger, acknowledge, resolve",
        "items[1].dedup_key": "is needed to resolve, but selected nothing",
        "items[2].timestamp": "is not an ISO 8601 date-time (got 'soon')",
    }


def test_missing_summary_and_items() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_generic({"title": ""}, GenericMapping(summary="$.title"))
    assert caught.value.errors[0].field == "summary"
    with pytest.raises(InvalidInput) as caught:
        parse_generic({}, GenericMapping(summary="@.t", items="$.alerts"))
    assert [(e.field, e.reason) for e in caught.value.errors] == [("items", "selected nothing")]


def test_invalid_mapping_names_each_bad_field() -> None:
    mapping = GenericMapping(
        summary=["$.ok", "$.a b"],
        severity="level",
        items="$[",
        status_map={"ok": "close"},
        severity_map={"x": "huge"},
        default_action="open",
    )
    with pytest.raises(InvalidInput) as caught:
        validate_mapping(mapping)
    errors = {e.field: e.reason for e in caught.value.errors}
    assert errors == {
        "summary[1]": "is not a valid expression: has ' ' at position 3; expected '.' or '['",
        "severity": "is not a valid expression: must be a JSONPath starting with '$' or '@', "
        "or 'literal:<text>'",
        "items": "is not a valid JSONPath: ends early: expected an index, '*' or a quoted key",
        "status_map.ok": "must be one of trigger, acknowledge, resolve (got 'close')",
        "severity_map.x": "must be one of critical, error, warning, info (got 'huge')",
        "default_action": "must be one of trigger, acknowledge, resolve (got 'open')",
    }


def test_mapping_from_stored_json_round_trips() -> None:
    stored = MAPPING.to_dict()
    assert GenericMapping.from_dict(json.loads(json.dumps(stored))) == GenericMapping(
        **{**MAPPING.__dict__, "summary": ["@.check.title", "literal:Untitled check"]}
    )


def test_mapping_from_dict_rejects_typos_and_missing_summary() -> None:
    with pytest.raises(InvalidInput) as caught:
        GenericMapping.from_dict({"sumary": "$.x", "severity": 3})
    errors = {e.field: e.reason for e in caught.value.errors}
    assert errors == {
        "sumary": "is not a mapping field",
        "summary": "is missing: every mapping needs a summary expression",
    }
    with pytest.raises(InvalidInput) as caught:
        GenericMapping.from_dict({"summary": "$.x", "severity": 3, "status": "$.s"})
    assert {e.field for e in caught.value.errors} == {"severity"}


def test_preview_shows_what_each_field_selects() -> None:
    result = preview(json.dumps(CHECKS).encode(), MAPPING)
    assert result.errors == []
    assert len(result.alerts) == 3
    first = result.fields[0]
    assert first["summary"] == FieldPreview("@.check.title", "API health")
    assert first["source"] == FieldPreview("@.check.host", "api-1")
    assert result.fields[2]["summary"] == FieldPreview("literal:Untitled check", "Untitled check")
    assert result.fields[1]["timestamp"] == FieldPreview(None, None)


def test_preview_returns_errors_instead_of_raising() -> None:
    bad_mapping = GenericMapping(summary="nope")
    assert preview({"a": 1}, bad_mapping).errors[0].field == "summary"
    assert preview(b"{", MAPPING).errors[0].field == "body"
    result = preview({"checks": [{"state": "weird"}]}, MAPPING)
    assert result.alerts == []
    assert result.fields[0]["action"].value == "weird"
    assert [e.field for e in result.errors] == ["items[0].action"]


NINE_AM = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [NINE_AM.timestamp(), int(NINE_AM.timestamp()) * 1000, "2026-01-05T10:00:00+01:00"],
)
def test_timestamp_as_text_or_unix_time(value: object) -> None:
    mapping = GenericMapping(summary="literal:x", timestamp="$.t")
    assert parse_generic({"t": value}, mapping).alerts[0].occurred_at == NINE_AM


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (1e300, "is out of range as a Unix time (got '1e+300')"),
        ({"a": 1}, "must be an ISO 8601 string or a Unix time (got '{\"a\": 1}')"),
        (True, "must be an ISO 8601 string or a Unix time (got 'true')"),
    ],
)
def test_bad_timestamps(value: object, reason: str) -> None:
    mapping = GenericMapping(summary="literal:x", timestamp="$.t")
    with pytest.raises(InvalidInput) as caught:
        parse_generic({"t": value}, mapping)
    assert [(e.field, e.reason) for e in caught.value.errors] == [("timestamp", reason)]
