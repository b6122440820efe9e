"""Property tests filling the gaps left by tests/unit/integrations/test_intake_properties.py
and tests/web/test_ingest_fuzz.py: generic mappings that are themselves generated (not one
fixed mapping) against any body; email rules from any stored config against MIME built
to be awkward (nested parts, unknown charsets and encodings, broken headers); the SMTP
intake handler's two blocking halves with any recipient and any message; and any mapping
posted to the integrations API. Each ends in a result or a 4xx-type domain error (an
SMTP 2xx/5xx reply), never another exception, a 500, or a logged intake failure."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import Person
from muster.db.uow import Database
from muster.errors import InvalidInput, TooLarge
from muster.inbound.smtp import IntakeHandler
from muster.integrations.email import html_to_text, parse_email, rule_from_config
from muster.integrations.generic import parse_generic, preview
from muster.integrations.generic_mapping import GenericMapping, validate_mapping
from muster.integrations.normalized import InboundAlert, InboundBatch

fuzz = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DOMAIN = "alerts.example.com"

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=20))  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
paths = st.one_of(
    st.lists(st.sampled_from(["a", "b", "items", "[0]", "[*]", "['x y']", "[-1]", "..", "*"]),
             max_size=4).map(lambda parts: "$" + "".join(p if p.startswith("[") else f".{p}" for p in parts)),
    st.lists(st.sampled_from(["a", "title", "[*]", "[0]"]), max_size=3).map(lambda p: "@" + "".join(
        x if x.startswith("[") else f".{x}" for x in p)),
    st.text(alphabet="$@.[]*'ab0 ", max_size=12),
    st.text(max_size=10).map(lambda t: f"literal:{t}"),
)  # fmt: skip
mappings = st.builds(
    lambda summary, extra, items, status_map: {"summary": summary, **extra, "items": items,
                                                "status_map": status_map},
    st.lists(paths, min_size=1, max_size=3) | paths,
    st.dictionaries(st.sampled_from(["severity", "dedup_key", "action", "source", "details",
                                     "timestamp", "links", "component"]), paths, max_size=5),
    st.none() | paths,
    st.dictionaries(st.text(max_size=6), st.sampled_from(["resolve", "trigger", "nope"]), max_size=2),
)  # fmt: skip


def survives(parse: Any, value: Any) -> None:
    try:
        result = parse(value)
    except (InvalidInput, TooLarge):
        return
    assert isinstance(result, InboundBatch | InboundAlert)


@fuzz
@given(mapping=mappings, body=json_values)
def test_generated_mappings_on_any_body(mapping: dict[str, Any], body: Any) -> None:
    try:
        compiled = validate_mapping(GenericMapping.from_dict(mapping))
    except InvalidInput:
        return
    survives(lambda v: parse_generic(v, compiled), body)
    survives(lambda v: parse_generic(v, compiled), json.dumps(body).encode())
    preview(body, compiled)  # never raises


# ---------------------------------------------------------------- email

header_names = st.sampled_from(["Subject", "From", "Message-ID", "In-Reply-To", "References",
                                "Date", "To", "Content-Type", "MIME-Version", "X-Prio"])  # fmt: skip
header_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["=?utf-8?b?w6k=?=", "=?bogus?q?x?=", "=?utf-8?q?RESOLVED=20ok?=", "<a@b>",
                     "<<>>", "Mon, 99 Foo 2026 25:61:00 +9999", "RESOLVED [OK] disk", "\x00", ""]),
)  # fmt: skip
content_types = st.sampled_from([
    "text/plain; charset=utf-8", "text/html; charset=iso-8859-1", "text/plain; charset=nope",
    "text/plain; charset=utf-7", "application/octet-stream", "message/rfc822", "text/html",
    "multipart/alternative; boundary=XX", "multipart/mixed; boundary=XX", "multipart/mixed",
])  # fmt: skip
encodings = st.sampled_from(["base64", "quoted-printable", "7bit", "8bit", "x-uuencode", "bogus"])
bodies = st.binary(max_size=120) | st.text(max_size=120).map(lambda t: t.encode("utf-8", "replace"))


@st.composite
def mime(draw: st.DrawFn, depth: int = 0) -> bytes:
    lines = [
        f"{n}: {v}" for n, v in draw(st.lists(st.tuples(header_names, header_values), max_size=6))
    ]
    ctype = draw(content_types)
    lines += [f"Content-Type: {ctype}", f"Content-Transfer-Encoding: {draw(encodings)}"]
    head = "\r\n".join(lines).encode("utf-8", "replace")
    if "boundary=XX" in ctype and depth < 2:
        parts = draw(st.lists(mime(depth + 1), max_size=3))
        body = b"".join(b"--XX\r\n" + p + b"\r\n" for p in parts) + draw(
            st.sampled_from([b"--XX--\r\n", b""])
        )
    else:
        body = draw(bodies)
    return head + b"\r\n\r\n" + body


@fuzz
@given(raw=mime() | st.binary(max_size=200), config=st.dictionaries(
    st.sampled_from(["resolve_if_subject_contains", "dedup_from", "severity", "x"]),
    json_values | st.sampled_from(["message_id", "critical"]), max_size=3))  # fmt: skip
def test_email_with_any_rule_and_awkward_mime(raw: bytes, config: dict[str, Any]) -> None:
    rule = rule_from_config(config)
    survives(lambda v: parse_email(v, rule), raw)


@fuzz
@given(
    st.text(max_size=200)
    | st.sampled_from(["<scr<script>ipt>", "<!--", "<a href='x", "&#0;&#xD800;"])
)
def test_html_to_text_takes_any_text(html: str) -> None:
    assert isinstance(html_to_text(html), str)


# ---------------------------------------------------------------- SMTP handler, over a database


@pytest.fixture
def email_key(client: TestClient, people: dict[str, Person]) -> str:
    boss = people["manager"].auth
    team = client.post("/api/v1/teams", json={"name": "Mail"}, headers=boss).json()
    service = client.post("/api/v1/services", json={"name": "mail", "team_id": team["id"]},
                          headers=boss).json()  # fmt: skip
    r = client.post(f"/api/v1/services/{service['id']}/integrations", headers=boss,
                    json={"type": "email", "rate_limit_per_minute": 1_000_000})  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["key"])


@fuzz
@given(data=st.data())
def test_smtp_handler_answers_any_recipient_and_message(
    db: Database, email_key: str, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    handler = IntakeHandler(db, DOMAIN)
    local = data.draw(st.text(max_size=20) | st.just(email_key) | st.just(email_key.upper()))
    domain = data.draw(st.sampled_from([DOMAIN, DOMAIN.upper(), "elsewhere.example", ""]))
    reply = handler.accept_recipient(f"{local}@{domain}")
    assert reply[:3] in ("250", "550"), reply
    raw = data.draw(mime() | st.binary(max_size=200))
    with caplog.at_level(logging.WARNING, logger="muster"):
        answer = handler.deliver([email_key], raw)
    assert answer[:3] in ("250", "550", "552"), answer  # 451 would be a bug or a dead DB
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@fuzz
@given(mapping=mappings | json_values)
def test_any_mapping_posted_to_the_api_is_no_server_error(
    client: TestClient, people: dict[str, Person], email_key: str, mapping: Any
) -> None:
    boss = people["manager"].auth
    service = client.get("/api/v1/services", headers=boss).json()["items"][0]["id"]
    r = client.post(f"/api/v1/services/{service}/integrations", headers=boss,
                    json={"type": "generic", "config": {"mapping": mapping}})  # fmt: skip
    assert r.status_code in (201, 400, 422), (r.status_code, r.text[:300])
