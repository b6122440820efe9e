"""The threads Muster starts, named for the operating system as well as for Python.

Python's thread names live only inside Python; Linux shows every thread of ``muster
serve`` as ``python``. :func:`start_thread` also sets the kernel's name of the thread
(the first 15 bytes), so ``top -H``, ``ps -L`` and ``/proc/<pid>/task/*/comm`` tell the
ingest writer from the engine (``bench/ingest.py`` reports each one's CPU).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

COMM_BYTES = 15  # the kernel's limit, without the terminating NUL


def start_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """Start ``target`` in a daemon thread called ``name`` (in Python and, where the
    system allows, in the kernel)."""

    def run() -> None:
        name_native_thread(name)
        target()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def name_native_thread(name: str) -> bool:
    """Give the calling thread ``name`` in the kernel; False where that is not possible
    (not Linux, /proc not mounted or read-only)."""
    comm = name.encode("utf-8")[:COMM_BYTES]
    try:
        Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_bytes(comm)
    except OSError:
        return False
    return True
