"""Checkpoints of SQLite's write-ahead log, from a thread of their own.

Left to itself, SQLite makes the commit that grows the log past a threshold copy the log
into the database, with its fsyncs: tens of milliseconds added to whichever request made
that commit. A busy writer (intake) therefore runs a :class:`WalCheckpointer`, which
copies the log often and off every request's path; a ``PASSIVE`` checkpoint never blocks
readers or writers. The engine's own automatic checkpoint stays as a safety net for
processes that run none (see :func:`muster.db.engine.make_engine`).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from muster.threads import start_thread

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, engine: Engine, *, interval: float = 0.5) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.engine.dialect.name != "sqlite" or self._thread is not None:
            return
        self._stop.clear()
        self._thread = start_thread(self._run, "muster-wal-ckpt")

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None

    def checkpoint(self) -> None:
        with self.engine.connect() as conn:
            # On the driver's connection, outside any transaction (the engine would open
            # one, and a checkpoint cannot run inside it).
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # type: ignore[union-attr]

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.checkpoint()
            except Exception as exc:  # the next round tries again; SQLite's own is the net
                log.warning("WAL checkpoint failed: %s", exc)
