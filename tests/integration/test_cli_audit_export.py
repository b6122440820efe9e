"""``muster audit export`` and ``muster audit forwarders``: the filtered log as JSON
lines or CSV (the export itself recorded, through the CLI's door); a bad filter exits
with the invalid-input code, naming the field."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner, Result

from helpers import Person
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database
from ui_support import last_event


def test_export_and_forwarders(
    db: Database, db_url: str, tmp_path: Path, people: dict[str, Person]
) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    lines = run("audit", "export", "--type-prefix", "user.", "--via", "system")
    assert lines.exit_code == 0, lines.output
    records = [json.loads(line) for line in lines.output.splitlines()]
    assert [r["subject_id"] for r in records] == [p.id for p in people.values()]
    assert {r["type"] for r in records} == {"user.created"}
    recorded = last_event(db, "audit.exported")
    assert (recorded.via, recorded.data["filter"]) == (
        "cli",
        {"type_prefix": "user.", "via": "system"},
    )

    out = tmp_path / "audit.csv"
    written = run(
        "audit", "export", "--format", "csv", "--type-prefix", "api_token.", "-o", str(out)
    )
    assert written.exit_code == 0, written.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 4
    assert {r["type"] for r in rows} == {"api_token.created"}

    bad = run("audit", "export", "--via", "pigeon")
    assert bad.exit_code == Exit.INVALID
    assert "via" in bad.output
    late = run("audit", "export", "--since", "2026-02-01", "--until", "2026-01-01")
    assert late.exit_code == Exit.INVALID
    assert "until" in late.output
    empty = run("audit", "export", "--since", "2030-01-01")
    assert empty.exit_code == 0
    assert empty.output == ""

    assert "no audit forwarders" in run("audit", "forwarders").output
    assert json.loads(run("audit", "forwarders", "--json").output) == []
