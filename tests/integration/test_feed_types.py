"""A reaction may read only the event types it acts on; its cursor still moves past the
others, so they are never read again and nothing of interest is skipped."""

from __future__ import annotations

from sqlalchemy import func, select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.events.feed import advance_cursor_to, read_feed_of
from muster.domain.events.models import Event, EventCursor
from muster.domain.events.service import append_event


def _append(db: Database, *types: str) -> None:
    with db.unit_of_work() as uow:
        for i, type_ in enumerate(types):
            append_event(uow, SYSTEM, type_, subject_type="probe", subject_id="p", data={"i": i})
        uow.commit()


def _consume(db: Database, limit: int = 500) -> tuple[list[str], bool]:
    with db.unit_of_work() as uow:
        batch = read_feed_of(uow, "typed", {"want.a", "want.b"}, limit=limit)
        if batch.through is not None:
            advance_cursor_to(uow, "typed", batch.through)
        uow.commit()
        return [e.type for e in batch.events], batch.full


def _cursor(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return uow.session.get_one(EventCursor, "typed").position


def _last_position(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.max(Event.position))) or 0)


def test_only_the_types_asked_for_are_read_and_the_cursor_passes_the_rest(db: Database) -> None:
    _append(db, "noise", "want.a", "noise", "want.b", "noise")
    assert _consume(db) == (["want.a", "want.b"], False)
    assert _cursor(db) == _last_position(db), "past the trailing noise too"
    assert _consume(db) == ([], False)
    _append(db, "noise", "noise")
    assert _consume(db) == ([], False)
    assert _cursor(db) == _last_position(db), "a batch of nothing of interest still moves it"
    _append(db, "want.b")
    assert _consume(db) == (["want.b"], False)


def test_a_full_batch_stops_at_its_last_event(db: Database) -> None:
    _append(db, "want.a", "noise", "want.b", "noise", "want.a", "noise")
    assert _consume(db, limit=2) == (["want.a", "want.b"], True)
    assert _consume(db, limit=2) == (["want.a"], False), "the third is not skipped"
    assert _cursor(db) == _last_position(db)


def test_a_rolled_back_reaction_reads_the_same_events_again(db: Database) -> None:
    _append(db, "noise", "want.a")
    with db.unit_of_work() as uow:
        batch = read_feed_of(uow, "typed", {"want.a"})
        assert batch.through is not None
        advance_cursor_to(uow, "typed", batch.through)
        # the reaction failed: no commit
    assert _consume(db) == (["want.a"], False)
