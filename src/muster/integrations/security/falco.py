"""Falco's HTTP output (``json_output: true``, ``http_output``; also what Falcosidekick
forwards) → :class:`SecurityBatch`.

The body is one event object (a list, or JSON lines, is taken too). Each needs ``rule``,
``priority`` and ``output``; ``time``, ``hostname``, ``source``, ``tags`` and
``output_fields`` are read when present.

* summary: ``rule`` with the host and container; details: ``output``;
* severity from ``priority`` (syslog's levels):

  ================================= ==========
  priority                          severity
  ================================= ==========
  emergency, alert, critical        critical
  error                             error
  warning                           warning
  notice, informational, debug      info
  ================================= ==========

* labels: ``rule_id`` (the rule name), ``mitre_techniques`` (tags such as ``T1059``),
  ``mitre_tactics`` (tags such as ``mitre_execution``), ``falco_source``, ``tags``,
  ``container``, ``k8s_namespace``, ``k8s_pod``;
* observables from ``output_fields``: ``user.name``, the host (``hostname``), addresses
  (``fd.sip``/``fd.cip``, ``fd.rip``/``fd.lip``), ``proc.name``, ``fd.name`` (file);
* dedup key ``falco:<rule>:<hostname>:<container id>``.
"""

from __future__ import annotations

from collections.abc import Iterator

from muster.integrations.fields import Problems, type_name
from muster.integrations.normalized import JsonObject, Severity
from muster.integrations.security.common import (
    Finding,
    SecurityBatch,
    field_at,
    parse_records,
    summary_with,
    techniques_in,
    text_at,
    texts_at,
    timestamp_at,
)

DETAIL = "The Falco event is invalid."
_PRIORITIES: dict[str, Severity] = {
    **dict.fromkeys(("emergency", "alert", "critical"), "critical"),
    "error": "error",
    "warning": "warning",
    **dict.fromkeys(("notice", "informational", "info", "debug"), "info"),
}


def falco_severity(priority: str) -> Severity | None:
    """Falco's priority on our scale; ``None`` when it is not one of Falco's."""
    return _PRIORITIES.get(priority.strip().lower())


def parse_falco(body: object) -> SecurityBatch:
    """Parse a Falco HTTP output body (raw bytes or decoded JSON)."""
    return parse_records(body, DETAIL, _findings)


def _findings(doc: JsonObject, path: str, problems: Problems) -> Iterator[Finding]:
    """The record's finding; none when it has problems."""
    before = len(problems.errors)
    rule = text_at(doc, "rule")
    if rule is None:
        problems.add(field_at(path, "rule"), "is missing or blank")
    priority = text_at(doc, "priority")
    severity = falco_severity(priority) if priority else None
    if severity is None:
        problems.add(field_at(path, "priority"), f"must be a Falco priority (got {priority!r})")
    output = text_at(doc, "output")
    if output is None:
        problems.add(field_at(path, "output"), "is missing or blank")
    fields = doc.get("output_fields")
    if fields is not None and not isinstance(fields, dict):
        problems.add(field_at(path, "output_fields"), f"must be an object, not {type_name(fields)}")
    tags = doc.get("tags")
    if tags is not None and not isinstance(tags, list):
        problems.add(field_at(path, "tags"), f"must be a list, not {type_name(tags)}")
    occurred_at = timestamp_at(doc, "time", path, problems)
    if len(problems.errors) > before or rule is None or severity is None or output is None:
        return
    of: JsonObject = fields if isinstance(fields, dict) else {}
    tag_list = texts_at(doc, "tags")
    host = text_at(doc, "hostname") or text_at(of, "evt.hostname")
    container_id = text_at(of, "container.id")
    container = text_at(of, "container.name")
    container = None if container == "host" else container
    labels: dict[str, str] = {}
    for name, value in (("falco_source", text_at(doc, "source")), ("container", container),
                        ("k8s_namespace", text_at(of, "k8s.ns.name")),
                        ("k8s_pod", text_at(of, "k8s.pod.name"))):  # fmt: skip
        if value:
            labels[name] = value
    if tag_list:
        labels["tags"] = ",".join(tag_list)
    yield Finding(
        tool="falco",
        summary=summary_with(rule, host, container),
        details=output,
        severity=severity,
        rule=rule,
        where=(host, container_id),
        rule_id=rule,
        techniques=techniques_in(tag_list),
        tactics=[t for t in tag_list if t.lower().startswith("mitre_")],
        src_ip=text_at(of, "fd.cip", "fd.rip"),
        dest_ip=text_at(of, "fd.sip", "fd.lip"),
        src_port=None,
        user=text_at(of, "user.name", "ka.user.name"),
        host=host,
        process=text_at(of, "proc.name"),
        file=text_at(of, "fd.name"),
        labels=labels,
        component=container or text_at(of, "k8s.pod.name"),
        group=text_at(of, "k8s.ns.name"),
        extra={"falco_output_fields": of} if of else {},
        occurred_at=occurred_at,
        raw=doc,
    )
