"""Elastic Security detection alerts by a Kibana Webhook connector → :class:`SecurityBatch`.

A security rule's webhook action sends whatever body its template renders. Set it to::

    {"rule": {"id": "{{rule.id}}", "name": "{{rule.name}}"},
     "results_link": "{{{context.results_link}}}",
     "alerts": [{{#context.alerts}}{{{.}}}...]}   (any rendering of the alert documents)

Taken: an object with ``alerts`` (or ``context.alerts``) holding alert documents, a list
of alert documents, or one document. Alert documents are ECS as stored in the alerts
index, nested or with dotted keys (``kibana.alert.rule.name``); the legacy ``signal.*``
fields are read too. Each needs a rule name (``kibana.alert.rule.name``, else the
top-level ``rule.name``).

* summary: the rule name with host and user; details: ``kibana.alert.reason``;
* severity from ``kibana.alert.severity`` (low → info, medium → warning, high → error,
  critical → critical); without it from ``kibana.alert.risk_score`` (0-100) on Elastic's
  bands: 0-21 info, 22-47 warning, 48-73 error, 74-100 critical;
* labels: ``rule_id`` (``kibana.alert.rule.rule_id``, else the rule's uuid),
  ``mitre_techniques``/``mitre_tactics`` from ``kibana.alert.rule.threat`` (technique and
  sub-technique ids), ``risk_score``, ``alert_uuid``;
* observables: ``source.ip``, ``destination.ip``, ``user.name``, ``host.name``, the domain
  (``url.domain``, ``dns.question.name``, ``destination.domain``), ``file.hash.*``,
  ``process.name``, ``file.path``;
* ``results_link`` (and ``kibana.alert.url``) become links; dedup key
  ``elastic:<rule id>:<host>:<user>:<source ip>``.
"""

from __future__ import annotations

from collections.abc import Iterator

from muster.integrations.fields import Problems, sub, type_name, url_problem
from muster.integrations.normalized import JsonObject, JsonValue, Link, Severity, map_severity
from muster.integrations.security.common import (
    Finding,
    SecurityBatch,
    banded,
    field_at,
    get_path,
    int_at,
    parse_records,
    summary_with,
    techniques_in,
    text_at,
    texts_at,
    timestamp_at,
)

DETAIL = "The Elastic Security alert payload is invalid."
MAX_ALERTS = 500


def elastic_severity(word: str | None, risk_score: int | None) -> Severity:
    """Elastic's severity word, else its risk score, on our scale."""
    if word and word.strip().lower() in ("low", "medium", "high", "critical"):
        return map_severity(word)
    if risk_score is None:
        return "warning"
    return banded(risk_score, critical=74, error=48, warning=22)


def parse_elastic(body: object) -> SecurityBatch:
    """Parse an Elastic Security webhook body (raw bytes or decoded JSON)."""
    return parse_records(body, DETAIL, _findings)


def _findings(record: JsonObject, path: str, problems: Problems) -> Iterator[Finding]:
    for item_path, item, envelope in _documents(record, path, problems):
        finding = _finding(item, item_path, envelope, problems)
        if finding is not None:
            yield finding


def _documents(
    doc: JsonObject, path: str, problems: Problems
) -> list[tuple[str, JsonObject, JsonObject]]:
    """The alert documents of a record, each with its path and the envelope around it."""
    key = "alerts" if "alerts" in doc else "context.alerts" if get_path(doc, "context.alerts") is not None else None  # fmt: skip
    if key is None:
        return [(path, doc, {})]
    items: JsonValue = get_path(doc, key)
    if not isinstance(items, list):
        problems.add(field_at(path, key), f"must be a list, not {type_name(items)}")
        return []
    if len(items) > MAX_ALERTS:
        problems.add(
            field_at(path, key), f"must hold at most {MAX_ALERTS} alerts (got {len(items)})"
        )
        return []
    found: list[tuple[str, JsonObject, JsonObject]] = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            found.append((sub(field_at(path, key), index), item, doc))
        else:
            problems.add(
                sub(field_at(path, key), index), f"must be an object, not {type_name(item)}"
            )
    return found


def _finding(
    doc: JsonObject, path: str, envelope: JsonObject, problems: Problems
) -> Finding | None:
    before = len(problems.errors)
    name = text_at(doc, "kibana.alert.rule.name", "signal.rule.name") or text_at(
        envelope, "rule.name", "context.rule.name"
    )
    if name is None:
        problems.add(field_at(path, "kibana.alert.rule.name"), "is missing or blank")
    occurred_at = timestamp_at(doc, "@timestamp", path, problems)
    if len(problems.errors) > before or name is None:
        return None
    rule_id = (
        text_at(doc, "kibana.alert.rule.rule_id", "kibana.alert.rule.uuid", "signal.rule.rule_id",
                "signal.rule.id")
        or text_at(envelope, "rule.id")
        or name
    )  # fmt: skip
    risk = int_at(doc, "kibana.alert.risk_score") or int_at(doc, "signal.rule.risk_score")
    severity = elastic_severity(text_at(doc, "kibana.alert.severity", "signal.rule.severity"), risk)
    threats = get_path(doc, "kibana.alert.rule.threat") or get_path(doc, "signal.rule.threat")
    techniques, tactics = _threats(threats)
    host, user = text_at(doc, "host.name", "host.hostname"), text_at(doc, "user.name")
    src_ip = text_at(doc, "source.ip", "client.ip")
    labels: dict[str, str] = {}
    for label, value in (("risk_score", str(risk) if risk is not None else None),
                         ("alert_uuid", text_at(doc, "kibana.alert.uuid"))):  # fmt: skip
        if value:
            labels[label] = value
    links = []
    for href, text in ((text_at(envelope, "results_link", "context.results_link"), "Kibana results"),
                       (text_at(doc, "kibana.alert.url"), "Alert in Kibana")):  # fmt: skip
        if href and url_problem(href) is None:
            links.append(Link(href=href, text=text))
    hashes = [h for algo in ("sha256", "sha1", "md5") for h in texts_at(doc, f"file.hash.{algo}")]
    return Finding(
        tool="elastic",
        summary=summary_with(name, host, user),
        details=text_at(doc, "kibana.alert.reason", "signal.reason") or "",
        severity=severity,
        rule=rule_id,
        where=(host, user, src_ip),
        rule_id=rule_id,
        techniques=techniques,
        tactics=tactics,
        src_ip=src_ip,
        src_port=int_at(doc, "source.port"),
        dest_ip=text_at(doc, "destination.ip", "server.ip"),
        dest_port=int_at(doc, "destination.port"),
        user=user,
        host=host,
        domain=text_at(doc, "url.domain", "dns.question.name", "destination.domain"),
        hashes=hashes,
        process=text_at(doc, "process.name"),
        file=text_at(doc, "file.path"),
        labels=labels,
        component=text_at(doc, "kibana.alert.rule.category", "event.category"),
        group=text_at(doc, "kibana.alert.rule.type"),
        links=links,
        occurred_at=timestamp_at(doc, "kibana.alert.original_time", path, problems) or occurred_at,
        raw=doc,
    )


def _threats(threats: JsonValue) -> tuple[list[str], list[str]]:
    """Technique (and sub-technique) ids and tactic names from ECS ``threat`` entries."""
    if not isinstance(threats, list):
        return [], []
    ids: list[str] = []
    tactics: list[str] = []
    for threat in threats:
        if not isinstance(threat, dict):
            continue
        tactics += texts_at(threat, "tactic.name")
        techniques = threat.get("technique")
        for technique in techniques if isinstance(techniques, list) else []:
            if isinstance(technique, dict):
                ids += texts_at(technique, "id")
                subs = technique.get("subtechnique")
                for item in subs if isinstance(subs, list) else []:
                    if isinstance(item, dict):
                        ids += texts_at(item, "id")
    return techniques_in(ids), tactics
