"""Building on-call worlds for tests: people, a team, schedules made through the domain
commands, and reading the resolver's answers back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from helpers import SYSTEM, make_person
from muster.db.uow import Database
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.oncall import resolve
from muster.domain.oncall import service as oncall
from muster.domain.oncall.load import get_schedule, load_spec, on_call
from muster.domain.oncall.schemas import LayerCreate, RotationIn, ScheduleCreate
from muster.domain.oncall.spec import OnCall, Shift

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # the conftest clock's start, a Monday


@dataclass
class Crew:
    """alice, bob and carol respond; maria manages; vic only views."""

    alice: str
    bob: str
    carol: str
    maria: str
    vic: str
    team: str

    def names(self) -> dict[str, str]:
        return {self.alice: "alice", self.bob: "bob", self.carol: "carol", self.maria: "maria"}


def make_crew(db: Database) -> Crew:
    ids = {
        n: make_person(db, "responder", f"{n}@example.com").id for n in ("alice", "bob", "carol")
    }
    ids["maria"] = make_person(db, "manager", "maria@example.com").id
    ids["vic"] = make_person(db, "viewer", "vic@example.com").id
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        uow.commit()
        return Crew(team=team.id, **ids)


def weekly_schedule(
    db: Database,
    crew: Crew,
    people: list[str],
    *,
    name: str = "Primary",
    zone: str = "UTC",
    start: datetime = MONDAY,
    length: int = 1,
    unit: str = "weeks",
    **rotation: Any,
) -> tuple[str, str]:
    """A schedule with one layer rotating ``people``; returns (schedule id, layer id)."""
    with db.unit_of_work() as uow:
        schedule = oncall.do_create_schedule(
            uow, SYSTEM, ScheduleCreate(name=name, team_id=crew.team, time_zone=zone)
        )
        layer = oncall.do_add_layer(uow, SYSTEM, schedule.id, LayerCreate(name="Primary"))
        data = RotationIn(
            participants=people, start=start, turn_length=length, turn_unit=unit, **rotation
        )  # type: ignore[arg-type]
        oncall.do_set_rotation(uow, SYSTEM, schedule.id, layer.id, data)
        uow.commit()
        return schedule.id, layer.id


def who(db: Database, schedule_id: str, at: datetime) -> str | None:
    with db.unit_of_work(readonly=True) as uow:
        answer = on_call(uow, schedule_id, at)
        return answer.user_id if answer else None


def answer_at(db: Database, schedule_id: str, at: datetime) -> OnCall | None:
    with db.unit_of_work(readonly=True) as uow:
        return on_call(uow, schedule_id, at)


def final(db: Database, schedule_id: str, start: datetime, end: datetime) -> list[Shift]:
    with db.unit_of_work(readonly=True) as uow:
        spec = load_spec(uow, get_schedule(uow, schedule_id), start, end)
        return resolve.final_shifts(spec, start, end)


def days(n: float) -> timedelta:
    return timedelta(days=n)
