"""``muster oncall who`` and ``muster schedule list``: the resolver's answers in the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpers import SYSTEM
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database
from muster.domain.oncall import overrides as changes
from muster.domain.oncall.schemas import OverrideCreate
from oncall_support import MONDAY, days, make_crew, weekly_schedule


@pytest.fixture
def run(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def test_oncall_who_and_schedule_list(run, db: Database) -> None:  # type: ignore[no-untyped-def]
    crew = make_crew(db)
    primary, _ = weekly_schedule(db, crew, [crew.alice, crew.bob], name="Primary")
    weekly_schedule(db, crew, [crew.carol], name="Nights", start=MONDAY + days(30))
    with db.unit_of_work() as uow:
        changes.do_add_override(uow, SYSTEM, primary, OverrideCreate(
            user_id=crew.carol, start=MONDAY + days(8), end=MONDAY + days(9)))  # fmt: skip
        uow.commit()
    r = run("oncall", "who", "--at", "2026-01-06T12:00:00Z", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert [(x["schedule_name"], x["user_name"]) for x in rows] == [
        ("Nights", None),
        ("Primary", "Alice"),
    ]
    r = run("oncall", "who", "primary", "--at", "2026-01-13T12:00:00+01:00")
    assert r.exit_code == 0, r.output
    assert "Carol (override)" in r.output
    assert "until 2026-01-14T09:00:00Z" in r.output
    r = run("oncall", "who", "--at", "2026-01-06T12:00:00Z")
    assert "NOBODY ON CALL" in r.output
    r = run("oncall", "who")  # now, by the system clock
    assert r.exit_code == 0
    assert "Primary" in r.output
    r = run("oncall", "who", "--at", "yesterday")
    assert r.exit_code == Exit.INVALID
    assert "at:" in r.output
    assert run("oncall", "who", "no-such-schedule").exit_code == Exit.NOT_FOUND
    r = run("schedule", "list", "--json")
    listed = json.loads(r.output)
    assert [(s["name"], [layer["name"] for layer in s["layers"]]) for s in listed] == [
        ("Nights", ["Primary"]), ("Primary", ["Primary"])]  # fmt: skip
    assert "Primary" in run("schedule", "list").output
