"""Property tests: whatever arrives, every parser either returns a well-formed result or
raises InvalidInput/TooLarge; never any other exception."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muster.errors import InvalidInput, TooLarge
from muster.integrations.alertmanager import parse_alertmanager
from muster.integrations.email import integration_key, parse_email
from muster.integrations.generic import parse_generic, preview
from muster.integrations.generic_mapping import GenericMapping, validate_mapping
from muster.integrations.grafana import parse_grafana
from muster.integrations.jsonpath import JsonPathError, compile_path
from muster.integrations.normalized import (
    MAX_DEDUP_KEY,
    MAX_SUMMARY,
    InboundAlert,
    InboundBatch,
    decode_json,
)
from muster.integrations.pagerduty_v2 import parse_change, parse_enqueue

EXAMPLES = int(os.environ.get("MUSTER_FUZZ_EXAMPLES", "100"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(
        ["firing", "resolved", "trigger", "resolve", "critical", "0001-01-01T00:00:00Z"]
    )
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
texts = st.text(max_size=30) | st.sampled_from(
    [
        "",
        " ",
        "2026-01-05T09:00:00Z",
        "2026-01-05T09:00:00+0100",
        "http://a.example/x",
        "javascript:x",
        "\x00\u202e",
        "x" * 1025,
    ]
)
maybe = texts | json_values
words = st.text(alphabet="abcxyz019-_ ./:", min_size=1, max_size=12)
stamps = st.sampled_from(
    ["2026-01-05T09:00:00Z", "2026-01-05T09:00:00.5+01:00", "0001-01-01T00:00:00Z"]
)
urls = st.sampled_from(["https://a.example/x", "http://b.example:9090/g?x=1"])


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any] = maybe) -> Any:
    """Valid values about four times in five, so fuzzing gets past the first checks."""
    return st.sampled_from((True, True, True, True, False)).flatmap(
        lambda ok: valid if ok else other
    )


def shaped_alert() -> st.SearchStrategy[Any]:
    """An alert that is mostly right, with the odd wrong field."""
    return st.fixed_dictionaries(
        {
            "status": mostly(st.sampled_from(["firing", "resolved"])),
            "labels": mostly(st.dictionaries(words, words | texts, max_size=6)),
        },
        optional={
            "annotations": mostly(
                st.dictionaries(st.sampled_from(["summary", "description", "x"]), texts)
            ),
            "startsAt": mostly(stamps, texts),
            "endsAt": mostly(stamps, texts),
            "generatorURL": mostly(urls, texts),
            "fingerprint": mostly(words),
            "dashboardURL": mostly(urls, texts),
            "panelURL": mostly(urls, texts),
            "silenceURL": mostly(urls, texts),
            "imageURL": mostly(urls, texts),
            "values": mostly(st.dictionaries(words, st.floats() | st.none()), json_values),
            "valueString": mostly(texts),
        },
    )


groups = st.fixed_dictionaries(
    {"alerts": mostly(st.lists(mostly(shaped_alert()), max_size=4))},
    optional={
        "groupKey": mostly(words),
        "truncatedAlerts": mostly(st.integers(0, 5)),
        "receiver": mostly(words),
        "version": maybe,
        "notification_reason": maybe,
    },
)
pd_payloads = st.fixed_dictionaries(
    {
        "summary": mostly(words | texts),
        "source": mostly(words),
        "severity": mostly(st.sampled_from(["critical", "error", "warning", "info"])),
    },
    optional={
        "timestamp": mostly(stamps),
        "component": mostly(words),
        "group": mostly(words),
        "class": mostly(words),
        "custom_details": json_values,
    },
)
pd_links = st.lists(
    st.fixed_dictionaries({"href": mostly(urls)}, optional={"text": mostly(words)}), max_size=3
)
pd_images = st.lists(
    st.fixed_dictionaries(
        {"src": mostly(urls)}, optional={"href": mostly(urls), "alt": mostly(words)}
    ),
    max_size=3,
)
pd_events = st.fixed_dictionaries(
    {
        "routing_key": mostly(words),
        "event_action": mostly(st.sampled_from(["trigger", "acknowledge", "resolve"])),
    },
    optional={
        "dedup_key": mostly(words),
        "payload": mostly(pd_payloads),
        "links": mostly(pd_links),
        "images": mostly(pd_images),
        "client": mostly(words),
        "client_url": mostly(urls),
    },
)

MAPPING = validate_mapping(
    GenericMapping(
        items="$.items",
        summary=["@.title", "@.name[*]", "literal:fallback"],
        severity="@.severity",
        dedup_key="@.id",
        action="@.status",
        source="$.source",
        details="@",
        timestamp="@.time",
        links=["@.links[*]", "@.link"],
        status_map={"ok": "resolve", "bad": "trigger"},
    )
)
generic_bodies = st.fixed_dictionaries(
    {
        "items": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "title": maybe,
                    "name": maybe,
                    "severity": maybe,
                    "id": maybe,
                    "time": maybe,
                    "status": st.sampled_from(["ok", "bad", "resolve", "acknowledge"]) | maybe,
                    "links": json_values,
                    "link": maybe,
                },
            )
            | json_values,
            max_size=4,
        )
        | json_values
    },
    optional={"source": maybe},
)


def check_alert(alert: InboundAlert) -> None:
    assert alert.action in ("trigger", "acknowledge", "resolve")
    assert alert.severity in ("critical", "error", "warning", "info")
    assert len(alert.summary) <= MAX_SUMMARY
    assert "\x00" not in alert.summary
    assert alert.dedup_key is None or 0 < len(alert.dedup_key) <= MAX_DEDUP_KEY
    for when in (alert.occurred_at, alert.ends_at):
        assert when is None or when.utcoffset() == timedelta(0)
    json.dumps(alert.raw)
    json.dumps(alert.custom_details)


def survives(parse: Callable[[Any], object], value: object) -> None:
    """Run ``parse``; a result is checked, InvalidInput/TooLarge are fine, anything else
    fails the test."""
    try:
        result = parse(value)
    except (InvalidInput, TooLarge):
        return
    alerts: list[InboundAlert] = []
    if isinstance(result, InboundBatch):
        alerts = result.alerts
    elif isinstance(result, InboundAlert):
        alerts = [result]
    elif hasattr(result, "alert"):
        alerts = [result.alert]
    for alert in alerts:
        check_alert(alert)


def as_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


@fuzz
@given(st.binary(max_size=300) | json_values.map(as_bytes))
def test_decode_json_any_bytes(body: bytes) -> None:
    survives(decode_json, body)


@fuzz
@given(json_values | groups | groups.map(as_bytes) | st.binary(max_size=200))
def test_alertmanager_any_input(value: Any) -> None:
    survives(parse_alertmanager, value)


@fuzz
@given(json_values | groups | groups.map(as_bytes) | st.binary(max_size=200))
def test_grafana_any_input(value: Any) -> None:
    survives(parse_grafana, value)


@fuzz
@given(json_values | pd_events | pd_events.map(as_bytes) | st.binary(max_size=200))
def test_pagerduty_enqueue_any_input(value: Any) -> None:
    survives(parse_enqueue, value)


@fuzz
@given(json_values | pd_events | st.binary(max_size=200))
def test_pagerduty_change_any_input(value: Any) -> None:
    survives(parse_change, value)


@fuzz
@given(json_values | generic_bodies | generic_bodies.map(as_bytes) | st.binary(max_size=200))
def test_generic_any_input(value: Any) -> None:
    survives(lambda v: parse_generic(v, MAPPING), value)
    result = preview(value, MAPPING)  # preview never raises
    assert result.alerts or result.errors or result.fields is not None


@fuzz
@given(json_values)
def test_mapping_from_any_json(value: Any) -> None:
    survives(GenericMapping.from_dict, value)
    survives(GenericMapping.from_dict, {"summary": value, "severity": value, "items": value})


@fuzz
@given(st.text(max_size=40) | st.text(alphabet="$@.[]*'\"\\ -0123abc", max_size=30))
def test_jsonpath_any_text(text: str) -> None:
    try:
        path = compile_path(text)
    except JsonPathError:
        return
    path.find({"a": [1, {"b": 2}]})


header_names = st.sampled_from(
    [
        "Subject",
        "From",
        "To",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Date",
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
        "X-Other",
    ]
)
header_values = st.text(max_size=40) | st.sampled_from(
    [
        "text/plain; charset=utf-8",
        "text/html; charset=klingon",
        "text/plain; charset=rot13",
        'multipart/alternative; boundary="b"',
        "multipart/mixed; boundary=b",
        "base64",
        "quoted-printable",
        "=?utf-8?b?w6k=?=",
        "=?bogus?q?x?=",
        "<a@b>",
        "Mon, 99 Foo 2026",
        '"Name" <a@b.example>',
        "a@",
        "<",
        "Mon, 05 Jan 2026 10:00:00 -0000",
    ]
)


@st.composite
def emails(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(header_names, header_values), max_size=8))
    lines = [f"{name}: {value}" for name, value in headers]
    body = draw(
        st.sampled_from(
            ["", "hello\r\n", "--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--"]
        )
        | st.text(max_size=80)
    )
    raw = "\r\n".join([*lines, "", body]).encode("utf-8", errors="surrogateescape")
    tail = draw(st.binary(max_size=40))
    return raw + tail


@fuzz
@given(emails() | st.binary(max_size=300))
def test_email_any_bytes(raw: bytes) -> None:
    survives(parse_email, raw)


@fuzz
@given(st.text(max_size=40))
def test_integration_key_any_text(recipient: str) -> None:
    survives(integration_key, recipient)
