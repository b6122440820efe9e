"""The queue a process's SQLite writers wait in: first come, first served.

SQLite lets one transaction write at a time; a writer that finds the lock taken sleeps in
its busy handler (up to 100 ms between tries), so a thread that commits back to back (intake's
writer) can starve the others for seconds. Writers of one process therefore queue here
before ``BEGIN IMMEDIATE``. CPython's own locks are not fair either — a thread releasing and
at once re-acquiring usually wins against the one woken — so :class:`FairLock` hands the
lock to the longest waiter on release (a ticket queue).

One queue per engine (:func:`writer_queue`): every :class:`~muster.db.uow.Database` built on
the same engine shares it, so no writer of the process slips past the queue to SQLite's lock.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque

from sqlalchemy import Engine


class FairLock:
    """A reentrant lock granted in the order it was asked for."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiters: deque[tuple[int, threading.Lock]] = deque()

    def acquire(self, timeout: float = -1) -> bool:
        """Take the lock, waiting behind everyone who asked before; False if ``timeout``
        seconds (negative: forever) pass first."""
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None and not self._waiters:
                self._owner, self._depth = me, 1
                return True
            gate = threading.Lock()
            gate.acquire()
            self._waiters.append((me, gate))
        deadline = None if timeout < 0 else time.monotonic() + timeout
        if gate.acquire(timeout=-1 if deadline is None else max(0.0, timeout)):
            return True  # handed over by release(): we own it
        with self._mutex:
            if self._owner == me:  # handed over just as the wait ran out
                return True
            self._waiters.remove((me, gate))
            return False

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("release of a FairLock not held by this thread")
            self._depth -= 1
            if self._depth:
                return
            if self._waiters:
                owner, gate = self._waiters.popleft()
                self._owner, self._depth = owner, 1
                gate.release()
            else:
                self._owner = None

    def locked(self) -> bool:
        return self._owner is not None


_QUEUES: weakref.WeakKeyDictionary[Engine, FairLock] = weakref.WeakKeyDictionary()
_QUEUES_GUARD = threading.Lock()


def writer_queue(engine: Engine) -> FairLock:
    """The writer queue of ``engine`` (made on first use)."""
    with _QUEUES_GUARD:
        queue = _QUEUES.get(engine)
        if queue is None:
            queue = _QUEUES[engine] = FairLock()
        return queue
