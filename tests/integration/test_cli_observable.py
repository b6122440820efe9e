"""``muster observable add|list|search``: the API's rules through the domain; ``--as``
makes a person's role and visibility apply (a restricted incident stays hidden)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from incident_support import build_cast, declare
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database


def test_add_list_search(db: Database, db_url: str, tmp_path: Path) -> None:
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
    added = as_json("observable", "add", "INC-1", "ip", "203.0.113[.]9", "--ioc", "--tag", "c2",
                    "--as", "ic@example.com")  # fmt: skip
    assert (added["value"], added["ioc"], added["tags"]) == ("203.0.113.9", True, ["c2"])
    run("observable", "add", "INC-2", "ip", "203.0.113.9", "--tlp", "RED")
    bad = run("observable", "add", "INC-1", "hash-md5", "abc")
    assert bad.exit_code == Exit.INVALID
    assert "value:" in bad.output
    viewer = run("observable", "add", "INC-1", "ip", "1.1.1.1", "--as", "viewer@example.com")
    assert viewer.exit_code == Exit.FORBIDDEN
    listed = run("observable", "list", "INC-1")
    assert "203.0.113.9" in listed.output
    assert "(also in 1)" in listed.output
    everyone = as_json("observable", "search", "203.0.113.9")
    assert [s["incident_reference"] for s in everyone] == ["INC-2", "INC-1"]
    outsider = run("observable", "search", "203.0.113.9", "--as", "outsider@example.com")
    assert "INC-1" in outsider.output
    assert "INC-2" not in outsider.output
    hidden = run("observable", "list", "INC-2", "--as", "outsider@example.com")
    assert hidden.exit_code == Exit.NOT_FOUND
