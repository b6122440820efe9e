"""Property tests for the security-tool parsers (muster.integrations.security), as
test_intake_fuzz_more.py does for the others: any JSON value, any bytes, and mutations of
real-shaped payloads end in a batch or a 4xx-type domain error, never another exception;
syslog framing and headers take any bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muster.errors import InvalidInput, TooLarge
from muster.integrations.normalized import InboundAlert
from muster.integrations.security.common import SecurityBatch
from muster.integrations.security.formats import SECURITY_FORMATS
from muster.integrations.security.syslog_frames import TcpDeframer, read_syslog

fuzz = settings(max_examples=80, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
PAYLOADS = Path(__file__).parents[1] / "unit" / "integrations" / "security_payloads"
JSON_SAMPLES = {"wazuh": "wazuh_sshd.json", "falco": "falco_shell.json",
                "elastic": "elastic_alerts.json", "splunk": "splunk_webhook.json"}  # fmt: skip

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                    st.floats(allow_nan=False, allow_infinity=False))  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["rule", "alert", "event_type", "result", "sid", "alerts", "priority",
                         "output", "level", "id", "description", "signature_id", "signature",
                         "kibana.alert.rule.name", "@timestamp", "timestamp", "time", "x"]),
        inner, max_size=6),
    max_leaves=25,
)  # fmt: skip


def survives(type: str, body: Any) -> None:
    try:
        result = SECURITY_FORMATS[type](body)
    except (InvalidInput, TooLarge):
        return
    assert isinstance(result, SecurityBatch)
    assert all(isinstance(alert, InboundAlert) for alert in result.alerts)
    for alert in result.alerts:
        assert alert.dedup_key
        assert len(alert.dedup_key) <= 255
        assert alert.severity in ("critical", "error", "warning", "info")


@fuzz
@given(type=st.sampled_from(sorted(SECURITY_FORMATS)), body=json_values)
def test_any_json_value(type: str, body: Any) -> None:
    survives(type, body)
    survives(type, json.dumps(body).encode())


@fuzz
@given(type=st.sampled_from(sorted(SECURITY_FORMATS)), body=st.binary(max_size=300))
def test_any_bytes(type: str, body: bytes) -> None:
    survives(type, body)


def _set_in(doc: Any, path: list[str], value: Any) -> Any:
    node = doc
    for key in path[:-1]:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return doc
        node = node[key]
    if isinstance(node, dict):
        node[path[-1]] = value
    return doc


@fuzz
@given(type=st.sampled_from(sorted(JSON_SAMPLES)),
       path=st.lists(st.sampled_from(["rule", "level", "id", "mitre", "data", "srcip", "result",
                                      "alerts", "output_fields", "tags", "priority", "time",
                                      "user", "host", "timestamp", "sid"]), min_size=1, max_size=3),
       value=json_values)  # fmt: skip
def test_mutated_real_payloads(type: str, path: list[str], value: Any) -> None:
    doc = json.loads((PAYLOADS / JSON_SAMPLES[type]).read_bytes())
    survives(type, _set_in(doc, path, value))


@fuzz
@given(extension=st.text(alphabet="ab= \\|\n\r=0T1059.", max_size=60),
       header=st.lists(st.text(alphabet="ab|\\ 0129", max_size=6), max_size=8))  # fmt: skip
def test_cef_text(extension: str, header: list[str]) -> None:
    survives("cef", ("CEF:" + "|".join(header) + "|" + extension).encode())


@fuzz
@given(data=st.binary(max_size=200), chunks=st.lists(st.integers(1, 50), max_size=6))
def test_syslog_frames_take_any_bytes(data: bytes, chunks: list[int]) -> None:
    read_syslog(data)
    framer = TcpDeframer(max_message=120)
    start = 0
    for size in chunks:
        for message in framer.feed(data[start : start + size]):
            assert len(message) <= max(120, len(data))
            read_syslog(message)
        start += size
