"""``muster incident``: declare, list, show, update, note — the API's rules, through the
domain; ``--as`` makes a person's role and visibility apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from incident_support import build_cast, incident_events
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database


def test_declare_list_show_update_note(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def as_json(*args: str) -> Any:
        r = run(*args, "--json")
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    build_cast(db)
    made = as_json(
        "incident", "declare", "Checkout is down", "--severity", "1", "--service", "checkout",
        "--customer-facing", "--tag", "payments", "--as", "ic@example.com",
    )  # fmt: skip
    assert (made["reference"], made["severity"], made["needs_commander"]) == ("INC-1", 1, True)
    assert made["declared_by"] == "ic@example.com"
    secret = as_json("incident", "declare", "Badge cloned", "--type", "physical_security")
    assert secret["restricted"] is True

    listed = run("incident", "list")
    assert "INC-1" in listed.output
    assert "INC-2" in listed.output
    outsider = as_json("incident", "list", "--as", "outsider@example.com")
    assert [i["reference"] for i in outsider] == ["INC-1"]
    hidden = run("incident", "show", "INC-2", "--as", "outsider@example.com")
    assert hidden.exit_code == Exit.NOT_FOUND

    shown = run("incident", "show", "1")
    assert "no Incident Commander" in shown.output
    moved = as_json("incident", "update", "INC-1", "--status", "contained", "--severity", "2")
    assert (moved["status"], moved["severity"]) == ("contained", 2)
    assert run("incident", "update", "INC-1", "--status", "triage").exit_code == Exit.CONFLICT
    assert run("incident", "update", "INC-1").exit_code == Exit.USAGE
    viewer = run("incident", "update", "INC-1", "--title", "x", "--as", "viewer@example.com")
    assert viewer.exit_code == Exit.FORBIDDEN
    bad = run("incident", "declare", "x", "--type", "nonsense")
    assert bad.exit_code == Exit.INVALID
    assert "type" in bad.output

    assert (
        run(
            "incident", "note", "INC-1", "Rolled back **v42**", "--as", "resp@example.com"
        ).exit_code
        == 0
    )
    notes = [e for e in incident_events(db, made["id"]) if e.type == "incident.note_added"]
    assert [n.data["body"] for n in notes] == ["Rolled back **v42**"]
    assert as_json("incident", "list", "--open")[0]["reference"] == "INC-2"
