"""Property tests through HTTP: whatever is posted to an ingest endpoint, the answer is a
JSON document with a status a sender can act on (202, 400, 404, 413 or 429), never a 500.

Bodies are arbitrary bytes, arbitrary JSON, and JSON shaped like each format with
arbitrary values in its fields (which gets past the first checks and into intake).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpers import Person

ANSWERS = {202, 400, 404, 413, 429}
JSON_TYPES = {"application/json", "application/problem+json"}
ENDPOINTS = ["alertmanager", "grafana", "generic", "heartbeat", "enqueue", "change"]
MAPPING = {
    "items": "$.alerts[*]", "summary": ["$.title", "literal:untitled"], "dedup_key": "$.id",
    "severity": "$.level", "action": "$.state", "status_map": {"ok": "resolve"},
    "source": "$.host", "details": "$.body", "timestamp": "$.at", "links": "$.links[*]",
}  # fmt: skip

fuzz = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40),
    st.sampled_from(["firing", "resolved", "trigger", "acknowledge", "resolve", "critical",
                     "info", "ok", "2026-01-05T09:00:00Z", "0001-01-01T00:00:00Z",
                     "https://example.com/x", "", " ", "\u202e", "\x00"]),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)  # fmt: skip


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly (nine times in ten) a plausible value, else anything at all."""
    return st.integers(0, 9).flatmap(lambda n: valid if n else json_values)


def shaped(
    required: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the ``required`` fields and some of the ``optional`` ones, each value
    mostly plausible."""
    return st.fixed_dictionaries(
        {name: maybe(value) for name, value in required.items()},
        optional={name: maybe(value) for name, value in optional.items()},
    )


words = maybe(st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=20))
word_map = st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=4)
times = st.sampled_from(["2026-01-05T08:59:00Z", "0001-01-01T00:00:00Z", "2026-13-45T99:00:00Z",
                         "2026-01-05T09:00:00+02:00", "yesterday"])  # fmt: skip
links = st.lists(st.fixed_dictionaries({"href": st.sampled_from(["https://x.example/a", "ftp://x",
                                                                 "javascript:alert(1)"])},
                                       optional={"text": words}), max_size=3)  # fmt: skip
severity = st.sampled_from(["critical", "error", "warning", "info", "CRITICAL", "p1", "nope"])
alerts = shaped(
    {"status": st.sampled_from(["firing", "resolved", "pending"]), "labels": word_map},
    {"annotations": word_map, "startsAt": times, "endsAt": times, "fingerprint": words,
     "generatorURL": st.just("https://prom.example/graph"), "values": word_map,
     "valueString": words, "dashboardURL": st.just("https://grafana.example/d/1")},
)  # fmt: skip
group = shaped(
    {"version": st.just("4"), "status": st.sampled_from(["firing", "resolved"]),
     "alerts": st.lists(alerts, max_size=4)},
    {"groupKey": words, "truncatedAlerts": st.integers(-1, 5), "receiver": words,
     "groupLabels": word_map, "commonLabels": word_map, "commonAnnotations": word_map,
     "externalURL": st.just("https://am.example"), "title": words, "message": words},
)  # fmt: skip
generic = st.fixed_dictionaries({"alerts": maybe(st.lists(shaped(
    {"title": words}, {"id": words, "level": severity, "state": st.sampled_from(["ok", "bad"]),
                       "host": words, "body": words, "at": times, "links": st.lists(words)},
), max_size=4))})  # fmt: skip
payload = shaped(
    {"summary": words, "source": words, "severity": severity},
    {"timestamp": times, "component": words, "group": words, "class": words,
     "custom_details": st.dictionaries(st.text(max_size=12), json_values, max_size=3)},
)  # fmt: skip


def formatted(endpoint: str, key: str) -> st.SearchStrategy[Any]:
    """JSON shaped like what ``endpoint`` expects, with mostly plausible values inside."""
    routing = st.sampled_from([key, key, key, "0" * 32])
    if endpoint in ("alertmanager", "grafana"):
        return group
    if endpoint == "generic":
        return generic
    if endpoint == "heartbeat":
        return json_values
    if endpoint == "change":
        return shaped({"routing_key": routing, "payload": payload}, {"links": links})
    return shaped(
        {"routing_key": routing, "event_action": st.sampled_from(["trigger", "acknowledge", "resolve"]),
         "dedup_key": st.sampled_from(["k1", "k2", "k3", "x" * 300]), "payload": payload},
        {"links": links,
         "images": st.lists(st.fixed_dictionaries({"src": st.just("https://x.example/i.png")}), max_size=2),
         "client": words, "client_url": st.just("https://client.example")},
    )  # fmt: skip


def bodies(endpoint: str, key: str) -> st.SearchStrategy[bytes]:
    as_json = json_values.map(
        lambda value: json.dumps(value).encode()  # NaN and Infinity included: not JSON
    )
    shaped_json = formatted(endpoint, key).map(lambda value: json.dumps(value).encode())
    return st.one_of(st.binary(max_size=300), as_json, shaped_json, shaped_json)


@pytest.fixture
def keys(client: TestClient, people: dict[str, Person]) -> dict[str, str]:
    auth = people["manager"].auth
    team = client.post("/api/v1/teams", json={"name": "Fuzz"}, headers=auth).json()
    service = client.post("/api/v1/services", json={"name": "fuzzed", "team_id": team["id"]},
                          headers=auth).json()  # fmt: skip
    found = {}
    for type, config in [("alertmanager", {}), ("grafana", {}), ("generic", {"mapping": MAPPING}),
                         ("heartbeat", {}), ("pagerduty", {})]:  # fmt: skip
        r = client.post(f"/api/v1/services/{service['id']}/integrations", headers=auth,
                        json={"type": type, "config": config, "rate_limit_per_minute": 1_000_000})  # fmt: skip
        assert r.status_code == 201, r.text
        found[type] = r.json()["key"]
    return found


def path(endpoint: str, keys: dict[str, str]) -> str:
    if endpoint == "enqueue":
        return "/v2/enqueue"
    if endpoint == "change":
        return "/v2/change/enqueue"
    return f"/ingest/{endpoint}/{keys[endpoint]}"


def assert_answered(response: Any) -> None:
    assert response.status_code in ANSWERS, (response.status_code, response.text[:300])
    assert response.headers["content-type"].split(";")[0] in JSON_TYPES
    response.json()  # a JSON document, whatever the status


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@fuzz
@given(data=st.data())
def test_any_body_gets_a_json_answer_and_never_a_500(
    client: TestClient, keys: dict[str, str], endpoint: str, data: st.DataObject
) -> None:
    key = keys["pagerduty" if endpoint in ("enqueue", "change") else endpoint]
    body = data.draw(bodies(endpoint, key), label="body")
    content_type = data.draw(st.sampled_from(["application/json", "text/plain", "x/y"]))
    response = client.post(path(endpoint, keys), content=body,
                           headers={"Content-Type": content_type})  # fmt: skip
    event(f"status {response.status_code}")
    assert_answered(response)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_oversized_bodies_get_413(client: TestClient, keys: dict[str, str], endpoint: str) -> None:
    body = json.dumps({"alerts": [], "padding": "x" * 600_000}).encode()
    response = client.post(path(endpoint, keys), content=body)
    assert_answered(response)
    assert response.status_code == 413


def test_nul_characters_are_no_server_error(client: TestClient, keys: dict[str, str]) -> None:
    """PostgreSQL refuses NUL in text and JSONB; found by the property test above."""
    assert client.post("/ingest/heartbeat/%00").status_code == 404
    event = {"routing_key": "k\x00", "event_action": "trigger",
             "payload": {"summary": "s", "source": "x", "severity": "info"}}  # fmt: skip
    assert client.post("/v2/enqueue", json=event).status_code == 404
    event = {**event, "routing_key": keys["pagerduty"], "dedup_key": "a\x00b",
             "payload": {**event["payload"], "custom_details": {"\x00": "\x00"}}}  # fmt: skip
    response = client.post("/v2/enqueue", json=event)
    assert response.status_code == 202, response.text
    assert response.json()["dedup_key"] == "ab"
