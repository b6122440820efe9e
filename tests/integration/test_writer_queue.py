"""SQLite writers of a process queue first come, first served, one queue per engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from muster.clock import SystemClock
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.db.writer_queue import FairLock, writer_queue


def _until(condition: Callable[[], bool]) -> None:
    """Wait for another thread to reach a point (bounded, so a bug fails, not hangs)."""
    done = threading.Event()
    for _ in range(1000):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the other thread never got there")


def test_the_lock_goes_to_waiters_in_the_order_they_asked() -> None:
    lock = FairLock()
    order: list[str] = []
    assert lock.acquire()

    def waiter(name: str) -> None:
        assert lock.acquire(timeout=10)
        order.append(name)
        lock.release()

    threads = []
    for i, name in enumerate(["first", "second", "third"]):
        thread = threading.Thread(target=waiter, args=(name,))
        thread.start()
        threads.append(thread)
        _until(lambda i=i: len(lock._waiters) == i + 1)  # type: ignore[misc]
    lock.release()
    for thread in threads:
        thread.join(timeout=10)
    assert order == ["first", "second", "third"]


def test_a_releasing_thread_cannot_barge_ahead_of_a_waiter() -> None:
    lock = FairLock()
    got: list[str] = []
    assert lock.acquire()
    proceed = threading.Event()

    def waiter() -> None:
        assert lock.acquire(timeout=10)
        got.append("waiter")
        proceed.wait(10)
        lock.release()

    thread = threading.Thread(target=waiter)
    thread.start()
    _until(lambda: len(lock._waiters) == 1)
    lock.release()
    assert not lock.acquire(timeout=0), "handed to the waiter, not back to the releaser"
    proceed.set()
    thread.join(timeout=10)
    assert got == ["waiter"]
    assert lock.acquire(timeout=0)
    lock.release()
    assert not lock.locked()


def test_the_lock_is_reentrant_and_a_timed_out_waiter_leaves_the_queue() -> None:
    lock = FairLock()
    assert lock.acquire()
    assert lock.acquire(), "the owner may take it again"
    lock.release()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(lock.acquire(timeout=0.05)))
    thread.start()
    thread.join(timeout=10)
    assert result == [False], "still held once by the owner"
    assert not lock._waiters
    lock.release()
    assert not lock.locked()
    with pytest.raises(RuntimeError):
        lock.release()


def test_every_database_on_one_engine_shares_its_queue(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/q.db")
    other = make_engine(f"sqlite:///{tmp_path}/r.db")
    try:
        first, second = Database(engine, SystemClock()), Database(engine, SystemClock())
        assert first._writer is second._writer is writer_queue(engine)
        assert writer_queue(other) is not writer_queue(engine)
        held = first.unit_of_work()
        try:
            blocked: list[bool] = []
            thread = threading.Thread(
                target=lambda: blocked.append(second._writer.acquire(timeout=0.05))  # type: ignore[union-attr]
            )
            thread.start()
            thread.join(timeout=10)
            assert blocked == [False], "a second Database's writer queues behind the first"
        finally:
            held.__exit__(None, None, None)
        assert not writer_queue(engine).locked()
    finally:
        engine.dispose()
        other.dispose()
