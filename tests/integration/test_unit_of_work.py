"""The unit of work commits rows and events together and runs hooks only on success."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.models import Team
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.errors import Conflict


def test_after_commit_hooks_run_only_after_commit(db: Database) -> None:
    ran: list[str] = []
    with db.unit_of_work() as uow:
        do_create_team(uow, SYSTEM, TeamCreate(name="A"))
        uow.after_commit(lambda: ran.append("a"))
        assert ran == []
        uow.commit()
    assert ran == ["a"]


def test_after_commit_hooks_never_run_on_rollback(db: Database) -> None:
    ran: list[str] = []
    with db.unit_of_work() as uow:
        do_create_team(uow, SYSTEM, TeamCreate(name="B"))
        uow.after_commit(lambda: ran.append("b"))
        with pytest.raises(Conflict):
            do_create_team(uow, SYSTEM, TeamCreate(name="b"))  # same name: refused
    assert ran == []
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(Team)).all() == []


def test_a_failing_hook_does_not_undo_the_commit(db: Database) -> None:
    def boom() -> None:
        raise RuntimeError("hook failed")

    with db.unit_of_work() as uow:
        do_create_team(uow, SYSTEM, TeamCreate(name="C"))
        uow.after_commit(boom)
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        assert [t.name for t in uow.session.scalars(select(Team))] == ["C"]


def test_readonly_unit_of_work_refuses_commit(db: Database) -> None:
    with db.unit_of_work(readonly=True) as uow, pytest.raises(RuntimeError):
        uow.commit()


def test_times_are_utc_aware_after_a_round_trip(db: Database) -> None:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="D"))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get(Team, team.id)
        assert row is not None
        assert row.created_at.tzinfo is not None
        assert row.created_at == db.clock.now()
