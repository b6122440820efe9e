"""``muster action list|add|done``: the API's rules through the domain; ``--as`` makes a
person's role and visibility apply (a restricted incident's items stay hidden)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from incident_support import build_cast, declare
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database


def test_add_list_done(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def as_json(*args: str) -> Any:
        r = run(*args, "--json")
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    cast = build_cast(db)
    declare(db, cast.ic, title="Open")
    declare(db, cast.ic, title="Secret", restricted=True)
    added = as_json("action", "add", "INC-1", "Alert on disk", "--kind", "detect",
                    "--priority", "P2", "--owner", "resp@example.com", "--due", "2026-01-04",
                    "--as", "ic@example.com")  # fmt: skip
    assert (added["key"], added["owner_name"], added["due_on"]) == ("AI-1", "Resp", "2026-01-04")
    run("action", "add", "INC-2", "Rotate keys", "--kind", "mitigate")
    bad = run("action", "add", "INC-1", "x", "--kind", "detect", "--owner", "viewer@example.com")
    assert bad.exit_code == Exit.INVALID
    assert "owner_id" in bad.output
    viewer = run("action", "add", "INC-1", "x", "--kind", "detect", "--as", "viewer@example.com")
    assert viewer.exit_code == Exit.FORBIDDEN
    listed = run("action", "list", "--overdue")
    assert "AI-1" in listed.output
    assert "OVERDUE" in listed.output
    assert "AI-2" not in listed.output
    outsider = run("action", "list", "--as", "outsider@example.com")
    assert "AI-1" in outsider.output
    assert "AI-2" not in outsider.output
    assert run("action", "done", "AI-2", "--as", "outsider@example.com").exit_code == Exit.NOT_FOUND  # fmt: skip
    done = as_json("action", "done", "AI-1", "--as", "resp@example.com")
    assert (done["status"], done["done_by"]) == ("done", "resp@example.com")
    assert "no action items" in run("action", "list", "--open", "--incident", "INC-1").output
