"""Reactions read the log by a durable cursor and never see an event twice."""

from __future__ import annotations

import threading

import pytest

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.events.feed import advance_cursor, read_feed
from muster.domain.events.service import append_event


def _append(db: Database, n: int, start: int = 0) -> None:
    with db.unit_of_work() as uow:
        for i in range(start, start + n):
            append_event(
                uow, SYSTEM, "test.ping", subject_type="probe", subject_id="p", data={"i": i}
            )
        uow.commit()


def _consume(db: Database, name: str, limit: int = 500) -> list[int]:
    with db.unit_of_work() as uow:
        events = read_feed(uow, name, limit=limit)
        if events:
            advance_cursor(uow, name, events[-1])
        uow.commit()
        return [e.data["i"] for e in events]


def test_cursor_resumes_where_it_stopped(db: Database) -> None:
    _append(db, 5)
    assert _consume(db, "r", limit=3) == [0, 1, 2]
    assert _consume(db, "r") == [3, 4]
    assert _consume(db, "r") == []
    _append(db, 2, start=5)
    assert _consume(db, "r") == [5, 6]
    assert _consume(db, "other") == list(range(7)), "each cursor is independent"


def test_uncommitted_cursor_move_is_rolled_back(db: Database) -> None:
    _append(db, 3)
    with db.unit_of_work() as uow:
        events = read_feed(uow, "r")
        advance_cursor(uow, "r", events[-1])
        # reaction failed: no commit
    assert _consume(db, "r") == [0, 1, 2]


def test_feed_never_skips_an_event_committed_late(db: Database) -> None:
    """PostgreSQL: an event whose transaction began first but commits last is still read."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers, so commit order is position order")
    _append(db, 1)
    assert _consume(db, "r") == [0]
    slow = db.unit_of_work()
    append_event(
        slow, SYSTEM, "test.ping", subject_type="probe", subject_id="slow", data={"i": 100}
    )
    slow.flush()  # holds an earlier position, not yet committed
    _append(db, 1, start=1)  # commits a later position first
    seen_before = _consume(db, "r")
    slow.commit()
    slow.__exit__(None, None, None)
    seen_after = _consume(db, "r")
    assert sorted(seen_before + seen_after) == [1, 100]
    assert 100 not in seen_before


def test_two_readers_never_get_the_same_events(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("concurrent readers need PostgreSQL's row locks")
    _append(db, 200)
    seen: list[int] = []
    lock = threading.Lock()

    def reader() -> None:
        for _ in range(40):
            got = _consume(db, "shared", limit=7)
            with lock:
                seen.extend(got)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(200))
