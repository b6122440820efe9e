"""``muster regime list|show``: the shipped catalogue in text and JSON; a missing regime
exits with the not-found code."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database


def test_list_and_show(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    listed = run("regime", "list")
    assert listed.exit_code == 0, listed.output
    assert "circia" in listed.output
    assert "(proposed)" in listed.output
    assert "form-8k            4 US federal business days from material at, America/New_York" in listed.output  # fmt: skip
    items = json.loads(run("regime", "list", "--json").output)
    assert {i["key"] for i in items} == {"gdpr-33", "nis2-23", "sec-8k-105", "hipaa", "dora", "circia"}  # fmt: skip
    shown = run("regime", "show", "nis2-23")
    assert "final: Final report → CSIRT / competent authority" in shown.output
    assert "due: 1 month from submission of notification" in shown.output
    data = json.loads(run("regime", "show", "gdpr-33", "--json").output)
    assert data["reports"][0]["deadline"] == "72 hours from aware at"
    assert run("regime", "show", "nope").exit_code == Exit.NOT_FOUND
