"""Syslog message headers (RFC 5424 and the BSD format of RFC 3164) and TCP framing
(RFC 6587: octet counting, else one message a line). Pure: bytes in, messages out.

:func:`read_syslog` never refuses a message: a text without a recognisable header is all
message (some senders write bare CEF). What matters here is ``app_name`` (RFC 5424
APP-NAME, or the 3164 TAG without its ``[pid]``), by which the listener may route, and the
message text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MESSAGE = 64 * 1024

_PRI = re.compile(r"<(\d{1,3})>")
_5424 = re.compile(
    r"(?P<version>[1-9]\d{0,2}) (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
)
_3164 = re.compile(
    r"(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) (?P<host>\S+) "
    r"(?:(?P<tag>[^\s:\[]{1,48})(?:\[[^\]]{0,32}\])?: ?)?"
)


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    facility: int | None
    severity: int | None
    hostname: str | None
    app_name: str | None
    text: str


def read_syslog(data: bytes) -> SyslogMessage:
    """The header fields and message text of one syslog message (bytes, lenient UTF-8)."""
    text = data[:MAX_MESSAGE].decode("utf-8", errors="replace").replace("\x00", "")
    text = text.rstrip("\r\n")
    facility = severity = None
    pri = _PRI.match(text)
    if pri is not None and int(pri.group(1)) <= 191:
        facility, severity = divmod(int(pri.group(1)), 8)
        text = text[pri.end() :]
    modern = _5424.match(text)
    if modern is not None:
        rest = _skip_structured_data(text[modern.end() :])
        return SyslogMessage(facility, severity, _nil(modern["host"]), _nil(modern["app"]),
                             rest.removeprefix("\ufeff"))  # fmt: skip
    bsd = _3164.match(text)
    if bsd is not None:
        tag = bsd["tag"]
        if tag == "CEF":  # "host CEF:0|..." without a tag: the colon is CEF's
            return SyslogMessage(facility, severity, bsd["host"], None, text[bsd.start("tag") :])
        return SyslogMessage(facility, severity, bsd["host"], tag, text[bsd.end() :])
    return SyslogMessage(facility, severity, None, None, text)


def _nil(value: str) -> str | None:
    return None if value == "-" else value


def _skip_structured_data(text: str) -> str:
    """The message after RFC 5424 STRUCTURED-DATA (``-`` or ``[id k="v"]...``)."""
    if text.startswith("-"):
        return text[2:] if text.startswith("- ") else text[1:]
    index = 0
    while index < len(text) and text[index] == "[":
        index += 1
        in_quotes = False
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char == '"':
                in_quotes = not in_quotes
            elif char == "]" and not in_quotes:
                index += 1
                break
            index += 1
    return text[index + 1 :] if text[index : index + 1] == " " else text[index:]


class TcpDeframer:
    """Splits a TCP stream into syslog messages: ``LEN SP MSG`` (octet counting) when a
    frame starts with a digit, else up to the next LF. :attr:`broken` is set (and the
    caller should close) when a frame is over :data:`MAX_MESSAGE` or its length malformed.
    """

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self.max_message = max_message
        self.buffer = bytearray()
        self.broken: str | None = None

    def feed(self, data: bytes) -> list[bytes]:
        self.buffer += data
        messages: list[bytes] = []
        while self.buffer and self.broken is None:
            message = self._next()
            if message is None:
                break
            if message.strip():
                messages.append(message)
        return messages

    def _next(self) -> bytes | None:
        buffer = self.buffer
        if buffer[:1].isdigit():
            space = buffer.find(b" ", 0, 12)
            if space < 0:
                if len(buffer) >= 12:
                    self.broken = "an octet count that is not a number followed by a space"
                return None
            count = buffer[:space]
            if not count.isdigit():
                self.broken = "an octet count that is not a number"
                return None
            length = int(count)
            if length > self.max_message:
                self.broken = f"a message of {length} bytes (the limit is {self.max_message})"
                return None
            end = space + 1 + length
            if len(buffer) < end:
                return None
            message = bytes(buffer[space + 1 : end])
            del buffer[:end]
            return message
        newline = buffer.find(b"\n")
        if newline < 0:
            if len(buffer) > self.max_message:
                self.broken = f"a line longer than {self.max_message} bytes"
            return None
        message = bytes(buffer[:newline])
        del buffer[: newline + 1]
        return message
