"""Sends that leave the engine's pass: the background threads of modules that talk to
the network (notification delivery, audit forwarding).

A module claims work in the runner's short transaction and hands its sends over once that
has committed. By default (``muster engine --once``, tests) :meth:`SenderPool.run` sends
them there and then, before the pass goes on. A long-running engine calls
:meth:`SenderPool.start` (through the module's ``start_background``): the sends then run in
threads of the pool's own, so a destination that takes its full timeout - or never
answers - holds up neither the next pass's escalations nor the other destinations. The
module claims no more than :meth:`SenderPool.free` says, so nothing claimed waits behind
a slow send while its lease runs out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for

from muster.threads import name_native_thread

Send = Callable[[], None]


class SenderPool:
    def __init__(self, workers: int, name: str) -> None:
        """``workers`` threads at most, called ``name``-0, ``name``-1 ... (in the kernel too)."""
        self.workers = workers
        self.name = name
        self._threads: ThreadPoolExecutor | None = None  # None: sends run in the pass
        self._in_flight: set[Future[None]] = set()
        self._guard = threading.RLock()  # a finished future calls _done at once

    def start(self) -> None:
        """Send from the pool's threads from now on."""
        with self._guard:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(
                    self.workers, thread_name_prefix=self.name, initializer=_name_thread
                )

    def stop(self, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` seconds for the sends handed over; those not begun by
        then are dropped (their work is claimed again when its lease runs out, as after a
        crash)."""
        with self._guard:
            threads, self._threads = self._threads, None
            in_flight = set(self._in_flight)
        if threads is None:
            return
        threads.shutdown(wait=False)
        _, late = wait_for(in_flight, timeout=timeout)
        for future in late:
            future.cancel()

    def free(self) -> int | None:
        """How many more sends the threads can take now; None when sends run in the pass."""
        with self._guard:
            if self._threads is None:
                return None
            return max(self.workers - len(self._in_flight), 0)

    def run(
        self, sends: Iterable[Send], inline: Callable[[list[Send]], None] | None = None
    ) -> None:
        """Hand ``sends`` to the threads; when none are started, run them now, in order
        (or through ``inline``, which may run them side by side)."""
        sends = list(sends)
        with self._guard:
            threads = self._threads
            if threads is not None:
                for send in sends:
                    future = threads.submit(send)
                    self._in_flight.add(future)
                    future.add_done_callback(self._done)
                return
        if inline is not None:
            inline(sends)
            return
        for send in sends:
            send()

    def _done(self, future: Future[None]) -> None:
        with self._guard:
            self._in_flight.discard(future)


def _name_thread() -> None:
    name_native_thread(threading.current_thread().name)
