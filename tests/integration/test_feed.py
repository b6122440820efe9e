"""Reactions read the log by a durable cursor and never see an event twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.events.feed import advance_cursor, read_feed
from muster.domain.events.models import Event
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


def test_writers_take_turns_so_positions_follow_commit_order(db: Database) -> None:
    """A second writer waits for the first to commit, so the feed can never step past an
    event that commits late (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock)."""
    first = db.unit_of_work()
    append_event(first, SYSTEM, "test.ping", subject_type="probe", subject_id="a", data={"i": 0})
    first.flush()
    done = threading.Event()

    def second_writer() -> None:
        _append(db, 1, start=1)
        done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert not done.wait(0.5), "the second writer must wait for the first"
    assert _consume_readonly(db) == []
    first.commit()
    first.__exit__(None, None, None)
    thread.join(timeout=10)
    assert done.is_set()
    assert _consume(db, "r") == [0, 1]


def _consume_readonly(db: Database) -> list[int]:
    with db.unit_of_work(readonly=True) as uow:
        return [e.data["i"] for e in uow.session.scalars(select(Event).order_by(Event.position))]


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
