"""ArcSight Common Event Format (CEF) records → alerts.

A record is ``CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|
Severity|Extension``: seven header fields (``\\|`` and ``\\\\`` escaped) and an extension of
``key=value`` pairs separated by spaces, where values may hold spaces and escape ``\\=``,
``\\\\``, ``\\n`` and ``\\r``. Anything before ``CEF:`` on the line (a syslog header) is
skipped. Over HTTP the body is one record per line; over syslog,
:mod:`muster.inbound.syslog` hands each message's text to :func:`read_cef`.

* summary: Name with source → destination; details: ``msg`` and every extension field;
* severity from the Severity field, 0-10 or CEF's words:

  ========================= ==========
  severity                  ours
  ========================= ==========
  0 - 3, Low, Unknown       info
  4 - 6, Medium             warning
  7 - 8, High               error
  9 - 10, Very-High         critical
  ========================= ==========

* labels: ``signature_id``, ``rule_id`` (vendor/product/signature), ``device_vendor``,
  ``device_product``, ``category`` (``cat``), ``device_action`` (``act``),
  ``mitre_techniques`` (technique ids in any field whose name or ``csNLabel`` mentions
  MITRE, technique or ATT&CK);
* observables: ``src``/``dst`` (``sourceAddress``/``destinationAddress``) with ports,
  ``suser`` (else ``duser``), ``dhost`` (else ``shost``, ``dvchost``), ``fileHash``,
  ``fname``, ``sproc``; ``rt`` (epoch milliseconds or an ISO date) → ``occurred_at``;
* dedup key ``cef:<vendor/product/signature>:<src>:<dst>:<host>:<user>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from muster.errors import FieldError, InvalidInput, TooLarge
from muster.integrations.fields import Problems, parse_timestamp
from muster.integrations.normalized import (
    MAX_BODY_BYTES,
    MAX_DETAILS,
    InboundAlert,
    Severity,
    clean_text,
)
from muster.integrations.security.common import (
    Finding,
    SecurityBatch,
    epoch,
    summary_with,
    techniques_in,
)

DETAIL = "The CEF payload is invalid."
MAX_RECORD = 64 * 1024
_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_.\[\]-]{1,64})=")
_HEADER_ESCAPE = re.compile(r"\\([\\|])")
_VALUE_ESCAPE = re.compile(r"\\([\\=nr])")
_VALUE_UNESCAPED = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}
_WORDS: dict[str, Severity] = {"unknown": "info", "low": "info", "medium": "warning",
                               "high": "error", "very-high": "critical", "very high": "critical"}  # fmt: skip
_LONG_NAMES = {"sourceAddress": "src", "destinationAddress": "dst", "sourcePort": "spt",
               "destinationPort": "dpt", "sourceUserName": "suser", "destinationUserName": "duser",
               "sourceHostName": "shost", "destinationHostName": "dhost", "message": "msg",
               "deviceAction": "act", "deviceEventCategory": "cat", "receiptTime": "rt"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CefRecord:
    """One parsed CEF record; ``extension`` keys are as sent (short names preferred)."""

    version: int
    vendor: str
    product: str
    device_version: str
    signature_id: str
    name: str
    severity: Severity
    extension: dict[str, str] = field(default_factory=dict)
    text: str = ""


def cef_severity(value: str) -> Severity | None:
    """CEF's Severity (0-10 or a word) on our scale; ``None`` when it is neither."""
    text = value.strip().lower()
    if text.isdigit() and len(text) <= 2 and int(text) <= 10:
        level = int(text)
        return "critical" if level >= 9 else "error" if level >= 7 else "warning" if level >= 4 else "info"  # fmt: skip
    return _WORDS.get(text)


def read_cef(text: str, where: str, problems: Problems) -> CefRecord | None:
    """The CEF record in ``text`` (after any syslog header), or ``None`` with the reason
    added to ``problems`` under ``where``."""
    start = text.find("CEF:")
    if start < 0:
        problems.add(where, "holds no CEF record (no 'CEF:' found)")
        return None
    if len(text) - start > MAX_RECORD:
        problems.add(where, f"is longer than {MAX_RECORD} characters")
        return None
    body = text[start + 4 :].rstrip("\r\n")
    fields = _split_header(body)
    if len(fields) < 8:
        problems.add(
            where, f"has {len(fields) - 1} '|' separators; CEF needs 7: Version|Device Vendor|"
            "Device Product|Device Version|Signature ID|Name|Severity|Extension",
        )  # fmt: skip
        return None
    version, vendor, product, device_version, signature_id, name, severity_text = fields[:7]
    before = len(problems.errors)
    if not version.strip().isdigit():
        problems.add(where, f"has a CEF version that is not a number ({version[:16]!r})")
    severity = cef_severity(severity_text)
    if severity is None:
        problems.add(
            where, f"has a Severity that is not 0-10 or a CEF word ({severity_text[:16]!r})"
        )
    if not name.strip():
        problems.add(where, "has a blank Name")
    if len(problems.errors) > before or severity is None:
        return None
    return CefRecord(
        version=int(version.strip()),
        vendor=_unescape_header(vendor),
        product=_unescape_header(product),
        device_version=_unescape_header(device_version),
        signature_id=_unescape_header(signature_id),
        name=_unescape_header(name),
        severity=severity,
        extension=_extension(fields[7]),
        text=text[start:].rstrip("\r\n"),
    )


def parse_cef(body: object) -> SecurityBatch:
    """Parse CEF records over HTTP: UTF-8 text, one record per line (blank lines skipped)."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise InvalidInput(
            DETAIL, errors=[FieldError("body", "must be CEF text, one record a line")]
        )
    raw = bytes(body)
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge(f"The body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES} bytes.")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InvalidInput(DETAIL, errors=[FieldError("body", f"is not valid UTF-8 (bad byte at offset {exc.start})")]) from None  # fmt: skip
    problems = Problems()
    alerts = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record = read_cef(line.replace("\x00", ""), f"line {number}", problems)
        if record is not None:
            alerts.append(cef_alert(record))
    if not alerts and not problems.errors:
        problems.add("body", "is empty: send one CEF record a line")
    problems.raise_if_any(DETAIL)
    return SecurityBatch(alerts)


def cef_alert(record: CefRecord) -> InboundAlert:
    """The alert for one CEF record."""
    ext = record.extension
    src, dst = ext.get("src"), ext.get("dst")
    named = _named_values(ext)
    mitre = [value for name, value in named.items()
             if re.search(r"mitre|technique|att&?ck", name, re.IGNORECASE)]  # fmt: skip
    labels = {"device_vendor": record.vendor, "device_product": record.product}
    for label, key in (("category", "cat"), ("device_action", "act"), ("outcome", "outcome")):
        if ext.get(key):
            labels[label] = ext[key]
    rule = "/".join((record.vendor, record.product, record.signature_id))
    flow = f"{src or '?'} -> {dst or '?'}" if src or dst else None
    details = [ext.get("msg", "")] + [f"{name}: {value}" for name, value in named.items()]
    return Finding(
        tool="cef",
        summary=summary_with(record.name, flow),
        details=clean_text("\n".join(d for d in details if d), MAX_DETAILS),
        severity=record.severity,
        rule=rule,
        where=(
            src,
            dst,
            ext.get("dhost") or ext.get("shost") or ext.get("dvchost"),
            ext.get("suser"),
        ),
        rule_id=rule,
        signature_id=record.signature_id,
        techniques=techniques_in(mitre),
        src_ip=src,
        src_port=_port(ext.get("spt")),
        dest_ip=dst,
        dest_port=_port(ext.get("dpt")),
        user=ext.get("suser") or ext.get("duser"),
        host=ext.get("dhost") or ext.get("shost") or ext.get("dvchost"),
        domain=ext.get("destinationDnsDomain") or ext.get("sourceDnsDomain"),
        hashes=[ext[k] for k in ("fileHash", "oldFileHash") if ext.get(k)],
        process=ext.get("sproc") or ext.get("dproc"),
        file=ext.get("filePath") or ext.get("fname"),
        labels=labels,
        source=ext.get("dvchost") or ext.get("dvc") or record.product,
        component=record.product,
        group=ext.get("cat"),
        occurred_at=_time(ext.get("rt") or ext.get("end") or ext.get("start")),
        extra={"cef": {"version": record.version, "device_version": record.device_version}},
        raw={"cef": record.text[:MAX_RECORD], "extension": dict(ext)},
    ).to_alert()


def _split_header(body: str) -> list[str]:
    """The seven header fields split on unescaped pipes, then the extension (the rest).
    Fewer than eight items means the header is short."""
    fields: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            current.append(body[index : index + 2])
            index += 2
            continue
        index += 1
        if char != "|":
            current.append(char)
            continue
        fields.append("".join(current))
        current = []
        if len(fields) == 7:
            return [*fields, body[index:]]
    return [*fields, "".join(current)]


def _unescape_header(text: str) -> str:
    return clean_text(_HEADER_ESCAPE.sub(r"\1", text), 1024)


def _extension(text: str) -> dict[str, str]:
    matches = list(_KEY.finditer(text))
    found: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = _VALUE_ESCAPE.sub(lambda m: _VALUE_UNESCAPED[m.group(1)], text[match.end() : end])
        key = _LONG_NAMES.get(match.group(1), match.group(1))
        if len(found) < 200:
            found[key] = clean_text(value, 4096)
    return found


def _named_values(ext: dict[str, str]) -> dict[str, str]:
    """Extension fields with custom fields (cs1..cs6, cn1..) under their label's name."""
    named: dict[str, str] = {}
    for key, value in ext.items():
        if key.endswith("Label"):
            continue
        label = ext.get(f"{key}Label")
        named[label or key] = value
    return named


def _port(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) <= 5:
        return int(value)
    return None


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    if value.isdigit() and len(value) <= 20:
        return epoch(int(value))
    try:
        return parse_timestamp(value)
    except ValueError:
        return None
