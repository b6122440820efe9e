"""``muster compliance``: apply a regime, record facts, list clocks, submit (with a
document) — the API's rules through the domain; ``--as`` applies a person's role."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from incident_support import build_cast, declare
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database


def test_apply_fact_clocks_submit(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def as_json(*args: str) -> Any:
        r = run(*args, "--json")
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    cast = build_cast(db)
    declare(db, cast.ic)
    clocks = as_json("compliance", "apply", "INC-1", "nis2-23", "--reason", "essential entity")
    assert [c["status"] for c in clocks] == ["waiting", "waiting", "waiting"]
    # The CLI runs on the system clock: aware an hour ago.
    aware = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    clocks = as_json(
        "compliance", "fact", "INC-1", "aware_at", "--at", aware.isoformat(),
        "--reason", "SOC", "--as", "ic@example.com",
    )  # fmt: skip
    early = next(c for c in clocks if c["deadline"] == "nis2-23/early-warning")
    assert datetime.fromisoformat(early["due_at"]) == aware + timedelta(hours=24)
    listed = run("compliance", "clocks", "INC-1")
    assert re.search(r"nis2-23/early-warning +Running .* 2[23] h \d+ min left", listed.output)
    doc = tmp_path / "warning.txt"
    doc.write_bytes(b"early warning sent")
    sent = as_json(
        "compliance", "submit", "INC-1", "nis2-23/early-warning", "--recipient", "CSIRT",
        "--reference", "EW-1", "--document", str(doc),
    )  # fmt: skip
    assert sent["document_sha256"] == hashlib.sha256(b"early warning sent").hexdigest()
    running = as_json("compliance", "clocks", "--status", "running")
    assert [c["deadline"] for c in running] == ["nis2-23/notification"]
    denied = run("compliance", "apply", "INC-1", "dora", "--reason", "x", "--as", "viewer@example.com")  # fmt: skip
    assert denied.exit_code == Exit.FORBIDDEN
    bad = run("compliance", "fact", "INC-1", "affected_people", "--number", "-3", "--reason", "x")
    assert bad.exit_code == Exit.INVALID
    assert "number" in bad.output
    missing = run("compliance", "submit", "INC-1", "nis2-23/nothing", "--recipient", "x")
    assert missing.exit_code == Exit.NOT_FOUND
    removed = as_json("compliance", "apply", "INC-1", "nis2-23", "--remove", "--reason", "not significant")  # fmt: skip
    assert {c["status"] for c in removed} == {"not_applicable"}
