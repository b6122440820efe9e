"""Email integrations: an RFC 5322 message → :class:`InboundAlert`.

Each integration has its own address; the local part of the envelope recipient is the
integration key (:func:`integration_key`). The message's subject becomes the summary and
its text body (``text/plain`` preferred, else ``text/html`` reduced to text) the details.
An :class:`EmailRule` decides trigger or resolve and how the dedup key is made:

* a subject containing one of ``resolve_if_subject_contains`` (case-insensitively, as a
  whole word) resolves; anything else triggers;
* ``dedup_from="subject"``: the key is a hash of the subject without reply/forward
  prefixes and without the resolve markers, so ``Disk full on db1`` and
  ``Re: [RESOLVED] Disk full on db1`` share a key;
* ``dedup_from="message_id"``: a trigger is keyed by its own ``Message-ID``; a resolve by the
  message it replies to (``In-Reply-To``, else the first of ``References``). When those
  headers are missing, the subject key is used instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, Literal, NamedTuple

from muster.errors import FieldError, InvalidInput, TooLarge
from muster.integrations.normalized import (
    MAX_DEDUP_KEY,
    MAX_DETAILS,
    MAX_SHORT_TEXT,
    MAX_SUMMARY,
    SEVERITIES,
    InboundAlert,
    JsonObject,
    Severity,
    clean_text,
)

MAX_EMAIL_BYTES = 10 * 1024 * 1024
# The email package has known crashes on hostile input beyond its own MessageError.
_READ_ERRORS = (MessageError, ValueError, TypeError, IndexError, AttributeError, LookupError)
_LOCAL_PART = re.compile(r"[a-z0-9][a-z0-9._+=-]{0,63}\Z")
_REPLY_PREFIX = re.compile(r"^\s*(?:re|fw|fwd|aw|wg)\s*(?:\[\d+\])?\s*:\s*", re.IGNORECASE)
_EMPTY_BRACKETS = re.compile(r"\[\s*\]|\(\s*\)|\{\s*\}")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True, slots=True)
class EmailRule:
    """How an integration turns mail into alert events."""

    resolve_if_subject_contains: Sequence[str] = ("RESOLVED", "[OK]")
    dedup_from: Literal["subject", "message_id"] = "subject"
    severity: Severity = "warning"


def rule_from_config(config: Mapping[str, Any]) -> EmailRule:
    """The :class:`EmailRule` of an email integration's stored ``config``.

    Precondition: ``config`` passed the integration's validation when it was saved. Keys
    that are missing, or hold a value this version does not know, take the defaults.
    """
    default = EmailRule()
    words = config.get("resolve_if_subject_contains")
    if not isinstance(words, list | tuple) or not all(isinstance(w, str) for w in words):
        words = default.resolve_if_subject_contains
    dedup_from = config.get("dedup_from")
    severity = config.get("severity")
    return EmailRule(
        resolve_if_subject_contains=tuple(words),
        dedup_from="message_id" if dedup_from == "message_id" else "subject",
        severity=severity if severity in SEVERITIES else default.severity,
    )


class EmailContent(NamedTuple):
    """The parts of a message an alert is made from."""

    subject: str
    body_text: str
    sender: str | None
    message_id: str | None


def integration_key(recipient: str) -> str:
    """The integration key in an envelope recipient: its local part, lower-cased
    (mail systems treat local parts case-insensitively)."""
    address = parseaddr(recipient)[1] or recipient.strip()
    local = address.rpartition("@")[0] if "@" in address else ""
    key = local.strip().lower()
    if not _LOCAL_PART.match(key):
        raise InvalidInput(
            "The recipient address holds no integration key.",
            errors=[FieldError("recipient", "must be <integration key>@<domain>")],
        )
    return key


def parse_message(raw: bytes, *, max_bytes: int = MAX_EMAIL_BYTES) -> EmailMessage:
    """Parse raw message bytes with the modern ``email`` policy."""
    if len(raw) > max_bytes:
        raise TooLarge(f"The message is {len(raw)} bytes; the limit is {max_bytes} bytes.")
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage):  # always true with policy.default
        raise _unreadable("is not an email message")
    return message


def read_message(message: EmailMessage) -> EmailContent:
    """Subject, text body, sender address and Message-ID of a message."""
    try:
        subject = clean_text(_header(message, "subject") or "", MAX_SUMMARY)
        sender = parseaddr(_header(message, "from") or "")[1] or None
        message_id = _first_id(_header(message, "message-id"))
        body = _body_text(message)
    except _READ_ERRORS as exc:
        raise _unreadable(f"could not be read ({type(exc).__name__})") from None
    return EmailContent(subject, body, sender, message_id)


def parse_email(raw: bytes | EmailMessage, rule: EmailRule | None = None) -> InboundAlert:
    """Turn a message (raw bytes or parsed) into an alert event, following ``rule``."""
    rule = rule or EmailRule()
    message = raw if isinstance(raw, EmailMessage) else parse_message(raw)
    subject, body, sender, message_id = read_message(message)
    resolves = _contains_marker(subject, rule.resolve_if_subject_contains)
    dedup_key = subject_key(subject, rule)
    if rule.dedup_from == "message_id":
        try:
            replied = _first_id(_header(message, "in-reply-to")) or _first_id(
                _header(message, "references")
            )
        except _READ_ERRORS:
            replied = None
        dedup_key = (replied if resolves else message_id) or dedup_key
    return InboundAlert(
        action="resolve" if resolves else "trigger",
        dedup_key=dedup_key,
        summary=subject or "(no subject)",
        severity=rule.severity,
        source=clean_text(sender or "email", MAX_SHORT_TEXT),
        details=body,
        occurred_at=_date(message),
        raw=_raw(message, subject, sender, message_id),
    )


def subject_key(subject: str, rule: EmailRule | None = None) -> str:
    """The dedup key of a subject: reply prefixes and resolve markers removed, case and
    spacing ignored, then hashed."""
    markers = (rule or EmailRule()).resolve_if_subject_contains
    text = subject
    for marker in markers:
        if marker.strip():
            text = _marker_pattern(marker).sub(" ", text)
    text = _EMPTY_BRACKETS.sub(" ", text)  # what "[RESOLVED]" leaves behind
    while True:
        stripped = _REPLY_PREFIX.sub("", text, count=1)
        stripped = stripped.strip(" \t\n:-\u2013|")
        if stripped == text:
            break
        text = stripped
    normal = " ".join(text.casefold().split())
    return "subject:" + hashlib.sha256(normal.encode("utf-8")).hexdigest()


def _marker_pattern(marker: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(marker.strip()) + r"(?!\w)", re.IGNORECASE)


def _contains_marker(subject: str, markers: Sequence[str]) -> bool:
    return any(m.strip() and _marker_pattern(m).search(subject) for m in markers)


def _unreadable(reason: str) -> InvalidInput:
    return InvalidInput(f"The message {reason}.", errors=[FieldError("message", reason)])


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    return None if value is None else str(value)


def _first_id(header: str | None) -> str | None:
    if not header:
        return None
    match = _MESSAGE_ID.search(header)
    found = match.group(1) if match else header.strip()
    if not found:
        return None
    if len(found) > MAX_DEDUP_KEY:
        return "message-id-sha256:" + hashlib.sha256(found.encode("utf-8")).hexdigest()
    return clean_text(found, MAX_DEDUP_KEY) or None


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if not isinstance(part, EmailMessage):
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return clean_text(text, MAX_DETAILS)


def _decoded(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", errors="replace")


def _date(message: EmailMessage) -> datetime | None:
    try:
        header = _header(message, "date")
        when = parsedate_to_datetime(header) if header else None
    except _READ_ERRORS:
        return None
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _raw(
    message: EmailMessage, subject: str, sender: str | None, message_id: str | None
) -> JsonObject:
    try:
        to = clean_text(_header(message, "to") or "", MAX_SHORT_TEXT)
    except _READ_ERRORS:
        to = ""
    return {"subject": subject, "from": sender, "to": to, "message_id": message_id}


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document, one line per block."""

    _SKIP = frozenset({"script", "style", "head", "title", "template"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML body: tags, scripts and styles removed, entities
    decoded, one line per block, blank runs collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.chunks).splitlines())
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
