"""Wazuh alerts (the alert JSON its integrator hands to a ``custom-`` integration, with
``<alert_format>json</alert_format>``) → :class:`SecurityBatch`.

The body is one alert object, a list of them, or JSON lines (``alerts.json``). Each alert
needs ``rule.id``, ``rule.level`` (0 to 16) and ``rule.description``; the rest is read
when present:

* summary: ``rule.description`` with the agent name; details: ``full_log``;
* severity from ``rule.level``, on the bands of Wazuh's own dashboard:

  ======== ==========
  level    severity
  ======== ==========
  0 - 6    info (low)
  7 - 11   warning (medium)
  12 - 14  error (high)
  15 - 16  critical
  ======== ==========

* labels: ``rule_id``, ``mitre_techniques`` (``rule.mitre.id``), ``mitre_tactics``
  (``rule.mitre.tactic``), ``rule_groups``, ``agent``, ``decoder``;
* observables: ``data.srcip``/``data.dstip`` (and Windows'
  ``data.win.eventdata.ipAddress``), ``data.srcuser``/``data.dstuser``/``data.win.
  eventdata.targetUserName``, the host ``agent.name`` (its ``agent.ip`` too), file hashes
  from ``syscheck`` (``sha256_after``, ``sha1_after``, ``md5_after``) and its ``path``;
* ``timestamp`` → ``occurred_at``; dedup key ``wazuh:<rule id>:<agent>:<src ip>:<user>``.
"""

from __future__ import annotations

from collections.abc import Iterator

from muster.integrations.fields import Problems, type_name
from muster.integrations.normalized import JsonObject, Severity
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

DETAIL = "The Wazuh alert is invalid."


def wazuh_severity(level: int) -> Severity:
    """Wazuh's rule level (0-16) on our scale."""
    return banded(level, critical=15, error=12, warning=7)


def parse_wazuh(body: object) -> SecurityBatch:
    """Parse a Wazuh alert body (raw bytes or decoded JSON)."""
    return parse_records(body, DETAIL, _findings)


def _findings(doc: JsonObject, path: str, problems: Problems) -> Iterator[Finding]:
    """The record's finding; none when it has problems."""
    rule = doc.get("rule")
    if not isinstance(rule, dict):
        reason = "is missing" if rule is None else f"must be an object, not {type_name(rule)}"
        problems.add(field_at(path, "rule"), reason)
        return
    before = len(problems.errors)
    rule_id = text_at(rule, "id")
    if rule_id is None:
        problems.add(field_at(path, "rule.id"), "is missing or blank")
    level = int_at(rule, "level")
    if level is None or not 0 <= level <= 16:
        problems.add(field_at(path, "rule.level"), "must be a whole number from 0 to 16")
    description = text_at(rule, "description")
    if description is None:
        problems.add(field_at(path, "rule.description"), "is missing or blank")
    occurred_at = timestamp_at(doc, "timestamp", path, problems)
    if len(problems.errors) > before or rule_id is None or level is None or description is None:
        return
    agent = text_at(doc, "agent.name", "manager.name", "predecoder.hostname")
    src_ip = text_at(doc, "data.srcip", "data.src_ip", "data.win.eventdata.ipAddress")
    user = text_at(doc, "data.srcuser", "data.dstuser", "data.win.eventdata.targetUserName",
                   "data.user", "syscheck.uname_after")  # fmt: skip
    hashes = [h for key in ("sha256_after", "sha1_after", "md5_after")
              for h in texts_at(doc, f"syscheck.{key}")]  # fmt: skip
    groups = [g for g in texts_at(rule, "groups") if g]
    labels = {"rule_level": str(level)}
    if groups:
        labels["rule_groups"] = ",".join(groups)
    for name, key in (("agent", "agent.id"), ("decoder", "decoder.name")):
        value = text_at(doc, key)
        if value:
            labels[name] = value
    yield Finding(
        tool="wazuh",
        summary=summary_with(description, agent),
        details=text_at(doc, "full_log") or "",
        severity=wazuh_severity(level),
        rule=rule_id,
        where=(text_at(doc, "agent.id") or agent, src_ip, user),
        rule_id=rule_id,
        techniques=techniques_in(texts_at(rule, "mitre.id")),
        tactics=texts_at(rule, "mitre.tactic"),
        src_ip=src_ip,
        dest_ip=text_at(doc, "data.dstip", "data.dst_ip", "agent.ip"),
        src_port=int_at(doc, "data.srcport"),
        dest_port=int_at(doc, "data.dstport"),
        user=user,
        host=agent,
        hashes=hashes,
        file=text_at(doc, "syscheck.path"),
        labels=labels,
        component=text_at(doc, "location"),
        group=groups[0] if groups else None,
        extra=_extra(doc),
        occurred_at=occurred_at,
        raw=doc,
    )


def _extra(doc: JsonObject) -> JsonObject:
    extra: JsonObject = {}
    for key in ("id", "location"):
        value = get_path(doc, key)
        if isinstance(value, str):
            extra[f"wazuh_{key}"] = value
    data = doc.get("data")
    if isinstance(data, dict):
        extra["wazuh_data"] = data
    return extra
