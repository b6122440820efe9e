"""The one protocol every outbound channel speaks: ``send(message) -> Delivery``.

A channel never raises for a failed delivery: it answers a :class:`Delivery` saying
whether it worked, and if not whether trying again may help (``permanent=False``:
timeouts, refused connections, 5xx, 429) or not (``permanent=True``: a bad address, a
4xx, a destination the outbound policy refuses). The engine decides what follows.
"""

from __future__ import annotations

from typing import Protocol

from muster.domain.notify.jobs import Outcome, Outgoing

# The delivery's shapes, under the names channels speak of them.
Message = Outgoing
Delivery = Outcome


class Channel(Protocol):
    def send(self, message: Message) -> Delivery: ...


def failed(error: str, *, permanent: bool) -> Delivery:
    """``error`` often quotes what a receiver answered, which may be any bytes: control
    characters become U+FFFD, since PostgreSQL refuses NUL in text and JSON (and the
    outcome could then never be recorded)."""
    text = "".join(c if c.isprintable() or c in "\t\n" else "\ufffd" for c in error[:1000])
    return Delivery(ok=False, permanent=permanent, error=text)


def http_failure(status: int, body: str) -> Delivery:
    """A non-2xx answer: 408, 429 and 5xx may pass; any other 4xx (and 3xx, which is not
    followed) will not."""
    transient = status >= 500 or status in (408, 425, 429)
    return failed(f"HTTP {status}: {body.strip()[:300]}", permanent=not transient)


class Unconfigured:
    """The channel of a kind the installation has not set up: every send fails for good,
    so a page falls through to the person's next method at once."""

    def __init__(self, kind: str, hint: str) -> None:
        self.kind = kind
        self.hint = hint

    def send(self, message: Message) -> Delivery:
        return failed(f"{self.kind} is not configured ({self.hint})", permanent=True)
