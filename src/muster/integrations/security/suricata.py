"""Suricata EVE JSON → :class:`SecurityBatch`.

The body is EVE as Suricata writes it: JSON lines, one event per line (one or many per
request); a single object or a JSON list of events is taken too. Only ``event_type``
``alert`` records become alerts; every other event type (``flow``, ``dns``, ``http``,
``stats``...) is skipped and counted as ``ignored``. A record without ``event_type`` is not
EVE and is refused, as is an alert record without ``alert.signature_id`` or
``alert.signature``.

* summary: ``alert.signature`` with source → destination; details: category, protocol,
  action, and the app-layer name seen (HTTP host and URL, TLS SNI, DNS query);
* severity from ``alert.severity`` (1 highest; Suricata has no "critical"):

  ========= ==========
  severity  ours
  ========= ==========
  1         error (high)
  2         warning (medium)
  3 or more info (low)
  ========= ==========

* labels: ``signature_id``, ``rule_id`` (``gid:sid:rev``), ``category``, ``app_proto``,
  ``mitre_techniques`` and ``mitre_tactics`` from ``alert.metadata.mitre_technique_id`` /
  ``mitre_tactic_id`` (ET Open and most commercial rulesets carry these);
* observables: ``src_ip``/``dest_ip`` with ports, the domain (``http.hostname``,
  ``tls.sni``, ``dns.rrname``), file hashes (``fileinfo.sha256``/``md5``), the sensor
  (``host``) as the alert's source;
* dedup key ``suricata:<gid>:<sid>:<src ip>:<dest ip>``: a scan repeating between the same
  pair folds into one alert.
"""

from __future__ import annotations

from muster.integrations.fields import Problems, type_name
from muster.integrations.normalized import JsonObject, Severity
from muster.integrations.security.common import (
    Finding,
    SecurityBatch,
    field_at,
    int_at,
    read_records,
    summary_with,
    techniques_in,
    text_at,
    texts_at,
    timestamp_at,
)

DETAIL = "The Suricata EVE payload is invalid."


def suricata_severity(level: int | None) -> Severity:
    """Suricata's alert severity (1 highest) on our scale."""
    if level is None:
        return "warning"
    if level <= 1:
        return "error"
    if level == 2:
        return "warning"
    return "info"


def parse_suricata(body: object) -> SecurityBatch:
    """Parse EVE JSON (raw bytes or decoded JSON); non-alert events are counted."""
    problems = Problems()
    alerts = []
    ignored = 0
    for path, doc in read_records(body, DETAIL):
        event_type = doc.get("event_type")
        if not isinstance(event_type, str) or not event_type.strip():
            problems.add(field_at(path, "event_type"), "is missing: this is not an EVE record")
            continue
        if event_type != "alert":
            ignored += 1
            continue
        finding = _finding(doc, path, problems)
        if finding is not None:
            alerts.append(finding.to_alert())
    problems.raise_if_any(DETAIL)
    return SecurityBatch(alerts, ignored=ignored)


def _finding(doc: JsonObject, path: str, problems: Problems) -> Finding | None:
    alert = doc.get("alert")
    if not isinstance(alert, dict):
        reason = "is missing" if alert is None else f"must be an object, not {type_name(alert)}"
        problems.add(field_at(path, "alert"), reason)
        return None
    before = len(problems.errors)
    sid = int_at(alert, "signature_id")
    if sid is None:
        problems.add(field_at(path, "alert.signature_id"), "must be a whole number")
    signature = text_at(alert, "signature")
    if signature is None:
        problems.add(field_at(path, "alert.signature"), "is missing or blank")
    occurred_at = timestamp_at(doc, "timestamp", path, problems)
    if len(problems.errors) > before or sid is None or signature is None:
        return None
    gid = int_at(alert, "gid") or 1
    rev = int_at(alert, "rev")
    src, dest = text_at(doc, "src_ip"), text_at(doc, "dest_ip")
    src_port, dest_port = int_at(doc, "src_port"), int_at(doc, "dest_port")
    domain = text_at(doc, "http.hostname", "tls.sni", "dns.rrname", "dns.queries.rrname")
    category = text_at(alert, "category")
    proto = text_at(doc, "proto")
    app_proto = text_at(doc, "app_proto")
    labels = {"rule_id": f"{gid}:{sid}:{rev}" if rev is not None else f"{gid}:{sid}"}
    for name, value in (("category", category), ("app_proto", app_proto), ("proto", proto)):
        if value:
            labels[name] = value
    flow = f"{_endpoint(src, src_port)} -> {_endpoint(dest, dest_port)}" if src or dest else None
    lines = [
        f"Category: {category}" if category else "",
        f"Action: {text_at(alert, 'action')}" if text_at(alert, "action") else "",
        f"Flow: {proto or '?'} {flow}" if flow else "",
        f"HTTP: {domain or ''}{text_at(doc, 'http.url') or ''}" if "http" in doc else "",
        f"TLS SNI: {text_at(doc, 'tls.sni')}" if text_at(doc, "tls.sni") else "",
        f"DNS: {domain}" if "dns" in doc and domain else "",
    ]
    return Finding(
        tool="suricata",
        summary=summary_with(signature, flow),
        details="\n".join(line for line in lines if line),
        severity=suricata_severity(int_at(alert, "severity")),
        rule=str(sid),
        where=(str(gid), src, dest),
        rule_id=labels["rule_id"],
        signature_id=str(sid),
        techniques=techniques_in(texts_at(alert, "metadata.mitre_technique_id")),
        tactics=texts_at(alert, "metadata.mitre_tactic_id")
        or texts_at(alert, "metadata.mitre_tactic_name"),
        src_ip=src,
        src_port=src_port,
        dest_ip=dest,
        dest_port=dest_port,
        domain=domain,
        hashes=texts_at(doc, "fileinfo.sha256") + texts_at(doc, "fileinfo.md5"),
        file=text_at(doc, "fileinfo.filename"),
        labels=labels,
        source=text_at(doc, "host") or text_at(doc, "in_iface"),
        component=app_proto,
        group=category,
        extra={
            "suricata": {
                k: v
                for k in ("flow_id", "community_id", "in_iface")
                if (v := doc.get(k)) is not None
            }
        },
        occurred_at=occurred_at,
        raw=doc,
    )


def _endpoint(ip: str | None, port: int | None) -> str:
    if ip is None:
        return "?"
    shown = f"[{ip}]" if ":" in ip else ip
    return f"{shown}:{port}" if port is not None else shown
