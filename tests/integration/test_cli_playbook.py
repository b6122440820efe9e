"""``muster playbook``: apply a file, list, show, dry-run and run on an incident,
install the shipped playbooks; errors exit with named codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from incident_support import build_cast, declare
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database

SOURCE = """\
key: cli-book
name: From the CLI
triggers: [{event: manual}]
steps:
  - name: work
    kind: tasks
    tasks: [{title: "Handle {{ incident.reference }}"}]
"""


def test_apply_list_show_dry_run_run(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def as_json(*args: str) -> Any:
        r = run(*args, "--json")
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    cast = build_cast(db)
    incident = declare(db, cast.ic)
    path = tmp_path / "book.yaml"
    path.write_text(SOURCE)
    assert run("playbook", "apply", str(path)).output.strip() == "cli-book: version 1 saved"
    denied = run("playbook", "apply", str(path), "--as", "ic@example.com")
    assert denied.exit_code == Exit.FORBIDDEN
    path.write_text(SOURCE.replace("steps:", "steps: [\n"))
    bad = run("playbook", "apply", str(path))
    assert bad.exit_code == Exit.INVALID
    assert "not valid YAML: line" in bad.output

    installed = as_json("playbook", "install-defaults")
    assert len(installed) == 8
    assert run("playbook", "install-defaults").output.startswith("nothing to install")
    listed = run("playbook", "list")
    assert "cli-book" in listed.output
    assert "ransomware" in listed.output
    shown = run("playbook", "show", "cli-book")
    assert "Handle {{ incident.reference }}" in shown.output

    dry = as_json("playbook", "dry-run", "cli-book", "INC-1")
    assert dry[0]["rendered"]["tasks"][0]["title"] == "Handle INC-1"
    assert run("playbook", "dry-run", "cli-book", "INC-99").exit_code == Exit.NOT_FOUND
    started = as_json("playbook", "run", "cli-book", "INC-1", "--as", "ic@example.com")
    assert (started["incident_id"], started["status"]) == (incident, "running")
    assert run("playbook", "run", "cli-book", "INC-1").exit_code == Exit.CONFLICT
    assert run("playbook", "show", "no-such").exit_code == Exit.NOT_FOUND
