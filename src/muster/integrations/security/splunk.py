"""Splunk's webhook alert action → :class:`SecurityBatch`.

Splunk posts one object per triggered alert: ``sid`` (the search job), ``search_name``
(``null`` for an ad hoc search), ``owner``, ``app``, ``results_link`` and ``result``, the
**first** row of the results (values are strings, or lists for multivalue fields). ``sid``
and ``result`` are required. Fields are read by their CIM names:

* summary: ``search_name`` (else ``result.signature``, else "Splunk alert") with host and
  user; details: every field of the result row, one per line;
* severity from ``result.severity`` or ``result.urgency`` (Enterprise Security):
  words informational/low → info, medium → warning, high → error, critical → critical;
  numbers on Splunk's alert scale 1-6: 1-2 info, 3 warning, 4 error, 5-6 critical;
  anything else → warning;
* labels: ``rule_id`` (the search name), ``signature_id``, ``mitre_techniques`` (technique
  ids in ``annotations.mitre_attack``, ``mitre_technique_id`` or ``mitre_attack``),
  ``splunk_app``, ``splunk_owner``;
* observables: ``src``/``src_ip``, ``dest``/``dest_ip``, ``user``/``src_user``, the host
  (``dest_host``, ``host``), ``query``/``url_domain``/``dest_domain``, ``file_hash``,
  ``process_name``, ``file_path``;
* ``results_link`` becomes a link; dedup key ``splunk:<search>:<host>:<user>:<src>``.
"""

from __future__ import annotations

from collections.abc import Iterator

from muster.integrations.fields import Problems, type_name, url_problem
from muster.integrations.normalized import (
    MAX_DETAILS,
    JsonObject,
    Link,
    Severity,
    clean_text,
    map_severity,
)
from muster.integrations.security.common import (
    Finding,
    SecurityBatch,
    field_at,
    ip_text,
    parse_records,
    summary_with,
    techniques_in,
    text_at,
    texts_at,
)

DETAIL = "The Splunk webhook payload is invalid."
_NUMBERED: dict[str, Severity] = {"1": "info", "2": "info", "3": "warning", "4": "error",
                                  "5": "critical", "6": "critical"}  # fmt: skip
_WORDS = {"informational": "info", "low": "low", "medium": "medium", "high": "high",
          "critical": "critical", "info": "info"}  # fmt: skip


def splunk_severity(value: str | None) -> Severity:
    """Splunk's severity or urgency (a word or 1-6) on our scale."""
    if value is None:
        return "warning"
    text = value.strip().lower()
    if text in _NUMBERED:
        return _NUMBERED[text]
    return map_severity(_WORDS.get(text), "warning")


def parse_splunk(body: object) -> SecurityBatch:
    """Parse a Splunk webhook body (raw bytes or decoded JSON)."""
    return parse_records(body, DETAIL, _findings)


def _findings(doc: JsonObject, path: str, problems: Problems) -> Iterator[Finding]:
    """The record's finding; none when it has problems."""
    before = len(problems.errors)
    result = doc.get("result")
    if not isinstance(result, dict):
        reason = "is missing" if result is None else f"must be an object, not {type_name(result)}"
        problems.add(field_at(path, "result"), reason)
    sid = doc.get("sid")
    if not isinstance(sid, str) or not sid.strip():
        problems.add(field_at(path, "sid"), "is missing or blank")
    search_name = doc.get("search_name")
    if search_name is not None and not isinstance(search_name, str):
        problems.add(
            field_at(path, "search_name"), f"must be a string, not {type_name(search_name)}"
        )
    if len(problems.errors) > before or not isinstance(result, dict):
        return
    name = search_name.strip() or None if isinstance(search_name, str) else None
    signature = text_at(result, "signature", "rule_name", "rule_title")
    host = text_at(result, "dest_host", "dest_nt_host", "host", "dvc")
    user = text_at(result, "user", "src_user", "dest_user")
    src = text_at(result, "src_ip", "src")
    dest = text_at(result, "dest_ip", "dest")
    host = host or (dest if dest and ip_text(dest) is None else None)
    rule = name or signature or "Splunk alert"
    labels: dict[str, str] = {}
    for label, key in (("splunk_app", "app"), ("splunk_owner", "owner")):
        value = text_at(doc, key)
        if value:
            labels[label] = value
    link = text_at(doc, "results_link")
    mitre = [v for key in ("annotations.mitre_attack", "mitre_technique_id", "mitre_attack",
                           "annotations.mitre_attack.mitre_technique_id")
             for v in texts_at(result, key)]  # fmt: skip
    yield Finding(
        tool="splunk",
        summary=summary_with(
            rule if not (name and signature) else f"{name}: {signature}", host, user
        ),
        details=_details(result),
        severity=splunk_severity(text_at(result, "severity", "urgency")),
        rule=rule,
        where=(host, user, src),
        rule_id=rule,
        signature_id=text_at(result, "signature_id"),
        techniques=techniques_in(mitre),
        src_ip=src,
        dest_ip=dest,
        user=user,
        host=host,
        domain=text_at(result, "query", "url_domain", "dest_domain"),
        hashes=texts_at(result, "file_hash"),
        process=text_at(result, "process_name", "process"),
        file=text_at(result, "file_path", "file_name"),
        labels=labels,
        component=text_at(result, "sourcetype"),
        group=text_at(doc, "app"),
        links=[Link(href=link, text="Splunk results")]
        if link and url_problem(link) is None
        else [],
        extra={"splunk_sid": sid.strip() if isinstance(sid, str) else ""},
        raw=doc,
    )


def _details(result: JsonObject) -> str:
    lines = []
    for key, value in result.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        lines.append(f"{key}: {shown}")
    return clean_text("\n".join(lines), MAX_DETAILS)
