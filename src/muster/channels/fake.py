"""A recording channel for tests, standing in for providers we cannot run (SMS, voice).

It records every message it was asked to send; ``fail_next`` makes the next sends fail
(transiently or for good) so tests can drive retries and fall-through.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from muster.channels.base import Delivery, Message, failed


class FakeChannel:
    def __init__(self, kind: str = "fake") -> None:
        self.kind = kind
        self.sent: list[Message] = []
        self.attempts: list[Message] = []
        self._failures: list[Delivery] = []
        self.during_send: Callable[[Message], None] | None = None
        self._lock = threading.Lock()

    def fail_next(self, count: int = 1, *, permanent: bool = False, error: str = "") -> None:
        reason = error or ("invalid number" if permanent else "provider timed out")
        with self._lock:
            self._failures.extend(failed(reason, permanent=permanent) for _ in range(count))

    def send(self, message: Message) -> Delivery:
        if self.during_send is not None:
            self.during_send(message)
        with self._lock:
            self.attempts.append(message)
            if self._failures:
                return self._failures.pop(0)
            self.sent.append(message)
            return Delivery(ok=True, provider_message_id=f"{self.kind}-{len(self.sent)}")
