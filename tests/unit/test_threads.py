"""Muster's threads carry their names into the kernel (top -H, ps -L, the ingest bench)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from muster.threads import COMM_BYTES, name_native_thread, start_thread

pytestmark = pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task").is_dir(), reason="needs Linux /proc"
)


def _kernel_name(native_id: int) -> str:
    return Path(f"/proc/self/task/{native_id}/comm").read_text().strip()


def test_a_started_thread_has_its_name_in_the_kernel_and_in_python() -> None:
    seen: dict[str, object] = {}
    done = threading.Event()

    def work() -> None:
        seen["kernel"] = _kernel_name(threading.get_native_id())
        seen["python"] = threading.current_thread().name
        done.set()

    thread = start_thread(work, "muster-test")
    assert done.wait(5)
    thread.join(5)
    assert seen == {"kernel": "muster-test", "python": "muster-test"}
    assert thread.daemon


def test_a_long_name_is_cut_to_the_kernels_limit() -> None:
    seen: list[str] = []

    def work() -> None:
        assert name_native_thread("muster-a-very-long-thread-name")
        seen.append(_kernel_name(threading.get_native_id()))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert seen == ["muster-a-very-long-thread-name"[:COMM_BYTES]]
