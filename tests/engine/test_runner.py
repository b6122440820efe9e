"""The engine runner: isolated modules, idempotent passes, two runners never double-act."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from helpers import SYSTEM, make_person
from muster.clock import ManualClock
from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.credentials import do_create_api_token
from muster.domain.events.models import Event
from muster.engine.modules import default_modules
from muster.engine.modules.token_expiry import TokenExpiry
from muster.engine.runner import Runner


class Exploding:
    name = "exploding"

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        raise RuntimeError("module bug")


def _expiring_tokens(db: Database, clock: ManualClock, n: int) -> None:
    person = make_person(db, "responder")
    with db.unit_of_work() as uow:
        for i in range(n):
            do_create_api_token(uow, SYSTEM, person.id, f"t{i}", clock.now() + timedelta(minutes=5))
        uow.commit()


def _expired_events(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        query = select(func.count()).select_from(Event).where(Event.type == "api_token.expired")
        return int(uow.session.scalar(query) or 0)


def test_a_failing_module_does_not_stop_the_others(db: Database, clock: ManualClock) -> None:
    _expiring_tokens(db, clock, 3)
    clock.advance(minutes=6)
    result = Runner(db, [Exploding(), TokenExpiry()]).run_once()
    assert "exploding" in result.errors
    assert "module bug" in result.errors["exploding"]
    assert result.items["token_expiry"] == 3
    assert _expired_events(db) == 3


def test_nothing_before_due_and_nothing_twice(db: Database, clock: ManualClock) -> None:
    _expiring_tokens(db, clock, 2)
    runner = Runner(db, default_modules())
    assert runner.run_until_idle().total == 0
    clock.advance(minutes=5)
    assert runner.run_until_idle().items["token_expiry"] == 2
    assert runner.run_until_idle().total == 0
    assert _expired_events(db) == 2


def test_two_runners_never_process_the_same_row(db: Database, clock: ManualClock) -> None:
    """On PostgreSQL, SKIP LOCKED splits the rows; on SQLite the write lock serialises."""
    _expiring_tokens(db, clock, 300)
    clock.advance(minutes=6)
    barrier = threading.Barrier(2)
    totals: list[int] = []

    def work() -> None:
        runner = Runner(db, [TokenExpiry()])
        barrier.wait()
        totals.append(runner.run_until_idle().total)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(totals) == 300
    assert _expired_events(db) == 300
