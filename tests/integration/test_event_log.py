"""The event log: appended by one helper, hash-chained, tamper-evident."""

from __future__ import annotations

import itertools

from sqlalchemy import delete, select, update

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate, TeamUpdate
from muster.domain.accounts.service import do_create_team, do_update_team
from muster.domain.events.models import Event, EventStream
from muster.domain.events.service import append_event, events_for
from muster.domain.events.verify import verify_chains


def _team_with_history(db: Database, edits: int = 3) -> str:
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Payments"))
        uow.commit()
    for i in range(edits):
        with db.unit_of_work() as uow:
            do_update_team(uow, SYSTEM, team.id, TeamUpdate(description=f"rev {i}"))
            uow.commit()
    return team.id


def test_events_chain_per_subject(db: Database) -> None:
    team_id = _team_with_history(db)
    with db.unit_of_work(readonly=True) as uow:
        events = events_for(uow, "team", team_id)
        assert [e.type for e in events] == ["team.created"] + ["team.updated"] * 3
        assert [e.seq for e in events] == [1, 2, 3, 4]
        assert events[0].prev_hash == "0" * 64
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
        assert events[1].data == {"description": {"from": "", "to": "rev 0"}}
        assert events[0].actor_label == "test"
        report = verify_chains(uow)
    assert report.ok
    assert report.events == 4


def test_event_rolls_back_with_its_rows(db: Database) -> None:
    with db.unit_of_work() as uow:
        do_create_team(uow, SYSTEM, TeamCreate(name="Gone"))
        # no commit: leaving the block rolls back rows and events together
    with db.unit_of_work(readonly=True) as uow:
        assert uow.session.scalars(select(Event)).all() == []
        assert uow.session.scalars(select(EventStream)).all() == []


def test_verify_finds_an_altered_row(db: Database) -> None:
    team_id = _team_with_history(db)
    with db.unit_of_work() as uow:
        target = events_for(uow, "team", team_id)[2]
        uow.session.execute(
            update(Event).where(Event.id == target.id).values(data={"description": "forged"})
        )
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        report = verify_chains(uow)
    assert not report.ok
    assert report.first_break is not None
    assert report.first_break.seq == 3
    assert report.first_break.event_id == target.id
    assert "altered" in report.first_break.reason


def test_verify_finds_a_deleted_row(db: Database) -> None:
    team_id = _team_with_history(db)
    with db.unit_of_work() as uow:
        second = events_for(uow, "team", team_id)[1]
        uow.session.execute(delete(Event).where(Event.id == second.id))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        brk = verify_chains(uow).first_break
    assert brk is not None
    assert brk.seq == 2
    assert "missing" in brk.reason


def test_verify_finds_a_truncated_tail(db: Database) -> None:
    team_id = _team_with_history(db)
    with db.unit_of_work() as uow:
        last = events_for(uow, "team", team_id)[-1]
        uow.session.execute(delete(Event).where(Event.id == last.id))
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        brk = verify_chains(uow).first_break
    assert brk is not None
    assert "removed" in brk.reason


def test_verify_finds_a_rehashed_forgery_by_its_successor(db: Database) -> None:
    """Recomputing the forged row's own hash is not enough: the next link breaks."""
    from muster.domain.events.hashing import event_hash

    team_id = _team_with_history(db)
    with db.unit_of_work() as uow:
        ev = events_for(uow, "team", team_id)[1]
        forged = {"description": "forged"}
        new_hash = event_hash(
            prev_hash=ev.prev_hash, stream=ev.stream, seq=ev.seq, event_id=ev.id, type=ev.type,
            occurred_at=ev.occurred_at, actor_type=ev.actor_type, actor_id=ev.actor_id,
            actor_label=ev.actor_label, via=ev.via, token_id=ev.token_id, ip=ev.ip,
            subject_type=ev.subject_type, subject_id=ev.subject_id, data=forged,
        )  # fmt: skip
        uow.session.execute(
            update(Event).where(Event.id == ev.id).values(data=forged, hash=new_hash)
        )
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        brk = verify_chains(uow).first_break
    assert brk is not None
    assert brk.seq == 3
    assert "prev_hash" in brk.reason


def test_many_streams_interleave_and_verify(db: Database) -> None:
    with db.unit_of_work() as uow:
        for i in range(30):
            append_event(uow, SYSTEM, "test.ping", subject_type="probe", subject_id=f"p{i % 7}",
                         data={"i": i, "text": "ünïcode ✓", "nested": {"a": [1, 2.5, None]}})  # fmt: skip
        uow.commit()
    with db.unit_of_work(readonly=True) as uow:
        report = verify_chains(uow, batch=4)
    assert report.ok, report.first_break
    assert report.events == 30
    assert report.streams == 7
