"""What the stand-alone intake listeners (``muster smtp``, ``muster syslog``) share:
starting one or saying plainly why it cannot listen, and running until told to stop."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Protocol, TypeVar

import click


class Listener(Protocol):
    port: int  # the port listened on (the one the system chose, after start, for 0)

    def start(self) -> None: ...

    def stop(self) -> None: ...


L = TypeVar("L", bound=Listener)


def start_or_fail(listener: L, what: str, host: str, port: int) -> L:
    """Start ``listener`` (of ``what``, on ``host:port``); :class:`click.ClickException`
    when it cannot listen."""
    try:
        listener.start()
    except OSError as exc:  # the port is taken, or not ours to bind
        raise click.ClickException(f"cannot listen for {what} on {host}:{port}: {exc}") from exc
    return listener


def run_until_stopped(start: Callable[[], Listener]) -> None:
    """Start a listener (``start``) and keep the process running until SIGTERM or Ctrl-C,
    then stop it. A SIGTERM from the moment this is called counts, even one while the
    listener is starting. Precondition: called from the main thread (signals)."""
    stop = threading.Event()

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    listener = start()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
