"""Reading /live server-sent event streams over a real HTTP server in tests."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from helpers import Person, post_login

WAIT = 2.0  # seconds within which an event must arrive


@dataclass
class Message:
    event: str = "message"
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.data)


class Stream:
    """Reads one /live stream in a thread; ``next()`` waits for the next message."""

    def __init__(self, client: httpx.Client, url: str, headers: dict[str, str] | None = None):
        self.messages: queue.Queue[Message | None] = queue.Queue()
        self.status: int | None = None
        self._client = client
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers or {}), daemon=True)
        self._thread.start()
        assert self._ready.wait(5), "the stream did not open"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                self._ready.set()
                message = Message()
                for line in response.iter_lines():
                    if line == "":
                        self.messages.put(message)
                        message = Message()
                    elif line.startswith(":"):
                        message.comments.append(line[1:].strip())
                    else:
                        name, _, value = line.partition(": ")
                        if name == "data":
                            message.data += value
                        elif name in ("event", "id"):
                            setattr(message, name, value)
        except httpx.HTTPError:
            pass
        finally:
            self._ready.set()
            self.messages.put(None)

    def next(self, timeout: float = WAIT) -> Message:
        message = self.messages.get(timeout=timeout)
        assert message is not None, "the stream ended"
        return message

    def next_event(self, timeout: float = WAIT) -> Message:
        """The next message that is an event (not a comment or a retry hint)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(max(0.01, deadline - time.monotonic()))
            if message.data:
                return message


@contextmanager
def signed_in(url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=httpx.Timeout(10, read=30)) as client:
        r = post_login(client, {"email": person.email, "password": person.password, "next": "/"})
        assert r.status_code == 303, r.text
        yield client
