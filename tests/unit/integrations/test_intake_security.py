"""Security-tool formats (muster.integrations.security) on real-shaped payloads: what
each alert carries (severity, labels, MITRE ids, observables, dedup key), and malformed
input refused naming the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from muster.errors import InvalidInput, TooLarge
from muster.integrations.normalized import MAX_BODY_BYTES
from muster.integrations.security.cef import cef_severity, parse_cef
from muster.integrations.security.cef_routing import cef_matches, check_cef_config
from muster.integrations.security.elastic import elastic_severity, parse_elastic
from muster.integrations.security.falco import parse_falco
from muster.integrations.security.splunk import parse_splunk, splunk_severity
from muster.integrations.security.suricata import parse_suricata, suricata_severity
from muster.integrations.security.syslog_frames import TcpDeframer, read_syslog
from muster.integrations.security.wazuh import parse_wazuh, wazuh_severity

PAYLOADS = Path(__file__).parent / "security_payloads"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def errors(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e.field: e.reason for e in exc.value.errors}


# --- Wazuh ------------------------------------------------------------------------------


def test_wazuh_brute_force_alert() -> None:
    [alert] = parse_wazuh(payload("wazuh_sshd.json")).alerts
    assert alert.summary.startswith("sshd: brute force")
    assert "(web-01)" in alert.summary
    assert alert.severity == "warning"  # level 10: medium
    assert alert.labels["rule_id"] == "5712"
    assert alert.labels["mitre_techniques"] == "T1110"
    assert alert.labels["mitre_tactics"] == "Credential Access"
    assert alert.labels["src_ip"] == "203.0.113.45"
    assert alert.custom_details["security"] == {
        "tool": "wazuh", "src_ip": "203.0.113.45", "dest_ip": "10.20.0.11", "src_port": 51040,
        "user": "admin", "host": "web-01",
    }  # fmt: skip
    assert alert.dedup_key == "wazuh:5712:003:203.0.113.45:admin"
    assert alert.occurred_at is not None
    assert alert.occurred_at.isoformat().startswith("2026-11-24T08:15:02.114")
    assert "Failed password" in alert.details


def test_wazuh_file_integrity_alert_keeps_hashes() -> None:
    [alert] = parse_wazuh(payload("wazuh_syscheck.json")).alerts
    security = alert.custom_details["security"]
    assert isinstance(security, dict)
    assert security["file"] == "/usr/bin/passwd"
    assert security["hashes"] == [
        "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
        "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "9e107d9d372bb6826bd81d3542a419d6",
    ]
    assert alert.labels["mitre_techniques"] == "T1565.001"


@pytest.mark.parametrize(
    ("level", "severity"),
    [(0, "info"), (6, "info"), (7, "warning"), (11, "warning"), (12, "error"), (14, "error"),
     (15, "critical"), (16, "critical")],
)  # fmt: skip
def test_wazuh_levels(level: int, severity: str) -> None:
    assert wazuh_severity(level) == severity


def test_wazuh_batch_as_list_and_json_lines() -> None:
    one, two = (json.loads(payload(n)) for n in ("wazuh_sshd.json", "wazuh_syscheck.json"))
    assert len(parse_wazuh(json.dumps([one, two]).encode()).alerts) == 2
    lines = (json.dumps(one) + "\n\n" + json.dumps(two) + "\n").encode()
    assert [a.labels["rule_id"] for a in parse_wazuh(lines).alerts] == ["5712", "550"]


def test_wazuh_refuses_alert_without_rule_naming_each_field() -> None:
    doc = json.loads(payload("wazuh_sshd.json"))
    doc["rule"] = {"id": "5712", "level": 99}
    with pytest.raises(InvalidInput) as exc:
        parse_wazuh(json.dumps(doc).encode())
    assert errors(exc) == {
        "rule.level": "must be a whole number from 0 to 16",
        "rule.description": "is missing or blank",
    }
    with pytest.raises(InvalidInput) as exc:
        parse_wazuh(b'{"agent": {"name": "x"}}')
    assert errors(exc) == {"rule": "is missing"}


def test_json_lines_errors_name_the_line() -> None:
    good = payload("wazuh_sshd.json").strip()
    with pytest.raises(InvalidInput) as exc:
        parse_wazuh(good + b"\n{not json\n[1]\n")
    found = errors(exc)
    assert set(found) == {"line 2", "line 3"}
    assert "not valid JSON" in found["line 2"]
    assert found["line 3"] == "must be a JSON object, not a list"


def test_oversized_body_is_refused() -> None:
    with pytest.raises(TooLarge):
        parse_wazuh(b" " * (MAX_BODY_BYTES + 1))


# --- Suricata ---------------------------------------------------------------------------


def test_suricata_eve_lines_alerts_only_and_others_counted() -> None:
    batch = parse_suricata(payload("suricata_eve.jsonl"))
    assert batch.ignored == 2  # a flow and a stats record
    scan, malware = batch.alerts
    assert scan.summary == "ET SCAN Potential SSH Scan (203.0.113.45:51040 -> 10.20.0.11:22)"
    assert scan.severity == "warning"
    assert scan.labels["signature_id"] == "2001219"
    assert scan.labels["rule_id"] == "1:2001219:20"
    assert scan.labels["mitre_techniques"] == "T1595"
    assert scan.source == "ids-dmz-1"
    assert scan.dedup_key == "suricata:2001219:1:203.0.113.45:10.20.0.11"
    assert malware.severity == "error"
    assert malware.labels["domain"] == "update.badcdn.example.com"
    security = malware.custom_details["security"]
    assert isinstance(security, dict)
    assert security["hashes"] == [
        "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
    ]
    assert "HTTP: update.badcdn.example.com/payload/stage2.bin" in malware.details


def test_suricata_only_non_alerts_is_an_empty_batch() -> None:
    batch = parse_suricata(b'{"event_type":"flow","src_ip":"10.0.0.1"}\n{"event_type":"dns"}\n')
    assert batch.alerts == []
    assert batch.ignored == 2


@pytest.mark.parametrize(("level", "severity"), [(1, "error"), (2, "warning"), (3, "info"),
                                                 (4, "info"), (None, "warning")])  # fmt: skip
def test_suricata_severities(level: int | None, severity: str) -> None:
    assert suricata_severity(level) == severity


def test_suricata_refuses_non_eve_and_broken_alerts() -> None:
    body = b'{"foo": 1}\n{"event_type": "alert", "alert": {"signature": "x"}}\n'
    with pytest.raises(InvalidInput) as exc:
        parse_suricata(body)
    assert errors(exc) == {
        "line 1: event_type": "is missing: this is not an EVE record",
        "line 2: alert.signature_id": "must be a whole number",
    }


# --- Falco ------------------------------------------------------------------------------


def test_falco_event() -> None:
    [alert] = parse_falco(payload("falco_shell.json")).alerts
    assert alert.summary == "Terminal shell in container (node-a3, checkout-api)"
    assert alert.severity == "info"  # Notice
    assert alert.labels["mitre_techniques"] == "T1059"
    assert alert.labels["mitre_tactics"] == "mitre_execution"
    assert alert.labels["k8s_namespace"] == "shop"
    assert alert.labels["user"] == "root"
    assert alert.labels["host"] == "node-a3"
    assert alert.dedup_key == "falco:Terminal shell in container:node-a3:4b1e8d9c2f3a"
    assert alert.details.startswith("08:17:44.512880331: Notice A shell")


@pytest.mark.parametrize(("priority", "severity"), [("Emergency", "critical"), ("Critical", "critical"),
    ("Error", "error"), ("Warning", "warning"), ("Notice", "info"), ("Debug", "info")])  # fmt: skip
def test_falco_priorities(priority: str, severity: str) -> None:
    doc = json.loads(payload("falco_shell.json"))
    doc["priority"] = priority
    assert parse_falco(doc).alerts[0].severity == severity


def test_falco_refuses_unknown_priority_and_missing_rule() -> None:
    doc: dict[str, Any] = json.loads(payload("falco_shell.json"))
    doc["priority"] = "Urgent"
    del doc["rule"]
    with pytest.raises(InvalidInput) as exc:
        parse_falco(doc)
    assert errors(exc) == {"rule": "is missing or blank",
                           "priority": "must be a Falco priority (got 'Urgent')"}  # fmt: skip


# --- Elastic ----------------------------------------------------------------------------


def test_elastic_alerts_dotted_and_nested() -> None:
    ssh, powershell = parse_elastic(payload("elastic_alerts.json")).alerts
    assert ssh.summary == "Potential SSH Brute Force Detected (web-01, admin)"
    assert ssh.severity == "warning"
    assert ssh.labels["rule_id"] == "1c27fa22-7727-4dd3-81c0-de6da5555feb"
    assert ssh.labels["mitre_techniques"] == "T1110,T1110.001"
    assert ssh.labels["src_ip"] == "203.0.113.45"
    assert [link.text for link in ssh.links] == ["Kibana results"]
    assert powershell.severity == "error"
    assert powershell.labels["mitre_techniques"] == "T1059,T1059.001"
    assert powershell.labels["mitre_tactics"] == "Execution"
    assert "powershell.exe" in powershell.details


@pytest.mark.parametrize(("word", "score", "severity"), [("critical", None, "critical"),
    ("low", 90, "info"), (None, 99, "critical"), (None, 73, "error"), (None, 47, "warning"),
    (None, 21, "info"), (None, None, "warning")])  # fmt: skip
def test_elastic_severity(word: str | None, score: int | None, severity: str) -> None:
    assert elastic_severity(word, score) == severity


def test_elastic_refuses_alert_without_rule_name() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_elastic({"alerts": [{"host": {"name": "x"}}, 3]})
    assert errors(exc) == {
        "alerts[0].kibana.alert.rule.name": "is missing or blank",
        "alerts[1]": "must be an object, not a number",
    }


# --- Splunk -----------------------------------------------------------------------------


def test_splunk_webhook() -> None:
    [alert] = parse_splunk(payload("splunk_webhook.json")).alerts
    assert alert.summary == (
        "Brute Force Access Behavior Detected: Excessive Failed Logins (web-01, admin)"
    )
    assert alert.severity == "error"
    assert alert.labels["mitre_techniques"] == "T1110,T1110.001"
    assert alert.labels["src_ip"] == "203.0.113.45"
    assert alert.labels["host"] == "web-01"
    assert alert.links[0].href.startswith("https://splunk.example.com:8000/app/search/@go?sid=")
    assert "count: 27" in alert.details


def test_splunk_ad_hoc_search_without_name() -> None:
    doc = json.loads(payload("splunk_webhook.json"))
    doc["search_name"] = None
    del doc["result"]["signature"]
    [alert] = parse_splunk(doc).alerts
    assert alert.summary == "Splunk alert (web-01, admin)"


@pytest.mark.parametrize(("value", "severity"), [("critical", "critical"), ("high", "error"),
    ("medium", "warning"), ("informational", "info"), ("6", "critical"), ("4", "error"),
    ("3", "warning"), ("1", "info"), ("bogus", "warning"), (None, "warning")])  # fmt: skip
def test_splunk_severity(value: str | None, severity: str) -> None:
    assert splunk_severity(value) == severity


def test_splunk_refuses_missing_result_and_sid() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_splunk({"search_name": "x", "result": "row"})
    assert errors(exc) == {
        "result": "must be an object, not a string",
        "sid": "is missing or blank",
    }


# --- CEF and syslog ---------------------------------------------------------------------


def test_cef_records_with_escapes_and_custom_labels() -> None:
    firewall, malware = parse_cef(payload("cef_records.txt")).alerts
    assert firewall.summary == "Drop (203.0.113.45 -> 10.20.0.11)"
    assert firewall.severity == "error"
    assert firewall.labels["device_vendor"] == "Check Point"
    assert firewall.source == "fw-edge-1"
    assert "Rule Name: Block RDP from Internet" in firewall.details
    assert firewall.occurred_at is not None
    assert firewall.occurred_at.isoformat() == ("2026-11-24T08:17:02+00:00")
    assert malware.severity == "critical"
    assert malware.labels["mitre_techniques"] == "T1204.002"
    security = malware.custom_details["security"]
    assert isinstance(security, dict)
    assert security["file"] == "C:\\Users\\jdoe\\Downloads\\invoice=2026.exe"
    assert "found\nquarantined" in malware.details
    assert malware.dedup_key == "cef:Trend Micro/Deep Security Agent/4000030:::WS-0042:jdoe"


def test_cef_header_pipes_escaped() -> None:
    [alert] = parse_cef(b"CEF:0|Acme\\|Corp|IDS|1.0|42|Port\\|scan|3|src=10.0.0.9\n").alerts
    assert alert.labels["device_vendor"] == "Acme|Corp"
    assert alert.summary.startswith("Port|scan")


@pytest.mark.parametrize(("value", "severity"), [("0", "info"), ("3", "info"), ("4", "warning"),
    ("7", "error"), ("9", "critical"), ("10", "critical"), ("Very-High", "critical"),
    ("Medium", "warning"), ("11", None), ("urgent", None)])  # fmt: skip
def test_cef_severity(value: str, severity: str | None) -> None:
    assert cef_severity(value) == severity


def test_cef_refuses_malformed_lines_naming_them() -> None:
    body = b"CEF:0|Acme|IDS|1.0|42|Scan|5|src=10.0.0.9\nhello world\nCEF:0|Acme|IDS|1.0|42\n" \
           b"CEF:x|Acme|IDS|1.0|42|Scan|high-ish|\n"  # fmt: skip
    with pytest.raises(InvalidInput) as exc:
        parse_cef(body)
    found = errors(exc)
    assert found["line 2"] == "holds no CEF record (no 'CEF:' found)"
    assert "CEF needs 7" in found["line 3"]
    line_4 = [e.reason for e in exc.value.errors if e.field == "line 4"]
    assert len(line_4) == 2
    assert "not a number" in line_4[0]
    assert "high-ish" in line_4[1]
    with pytest.raises(InvalidInput):
        parse_cef(b"\n\n")


def test_syslog_headers() -> None:
    modern = read_syslog(b'<134>1 2026-11-24T08:17:02.000Z fw-edge-1 abc123 - - [meta x="]"] '
                         b"CEF:0|Acme|IDS|1|2|n|5|src=1.2.3.4")  # fmt: skip
    assert (modern.facility, modern.severity) == (16, 6)
    assert modern.hostname == "fw-edge-1"
    assert modern.app_name == "abc123"
    assert modern.text.startswith("CEF:0|Acme")
    bsd = read_syslog(b"<86>Nov 24 08:17:02 ws-0042 dsa[1234]: CEF:0|Trend|DSA|1|2|n|5|")
    assert bsd.app_name == "dsa"
    assert bsd.text.startswith("CEF:0|Trend")
    bare = read_syslog(b"<13>Nov 24 08:17:02 fw-edge-1 CEF:0|Acme|IDS|1|2|n|5|")
    assert bare.app_name is None
    assert bare.text.startswith("CEF:0|Acme")


def test_tcp_deframer_octet_counting_and_lines() -> None:
    first = b"<13>1 - h app - - - CEF:0|a|b|1|2|n|5|"
    framer = TcpDeframer()
    stream = str(len(first)).encode() + b" " + first + b"<13>plain line\n<13>partial"
    assert framer.feed(stream[:10]) == []
    assert framer.feed(stream[10:]) == [first, b"<13>plain line"]
    assert framer.feed(b" end\n") == [b"<13>partial end"]
    broken = TcpDeframer(max_message=100)
    broken.feed(b"5000 " + b"x" * 10)
    assert broken.broken is not None
    assert "5000 bytes" in broken.broken


def test_cef_routing_config() -> None:
    config = check_cef_config({"match": [{"vendor": " Check Point ", "product": ""},
                                         {"vendor": "Trend Micro", "product": "Deep Security Agent"}]})  # fmt: skip
    assert config["match"] == [{"vendor": "Check Point"},
                               {"vendor": "Trend Micro", "product": "Deep Security Agent"}]  # fmt: skip
    assert cef_matches(config, "check point", "anything")
    assert cef_matches(config, "Trend Micro", "deep security agent")
    assert not cef_matches(config, "Trend Micro", "Apex One")
    with pytest.raises(InvalidInput) as exc:
        check_cef_config({"match": [{"vendor": ""}, {"vendor": "x", "colour": "red"}]})
    assert {e.field for e in exc.value.errors} == {"config.match[0].vendor", "config.match[1]"}
