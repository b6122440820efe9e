"""``muster review list|show|export``: the domain's rules (a viewer sees only published
reviews, a restricted incident's review stays hidden with ``--as``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from incident_support import build_cast, declare
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database
from muster.domain.incidents.transitions import do_transition
from muster.domain.reviews.review_service import do_start_review


def test_list_show_export(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def as_json(*args: str) -> Any:
        r = run(*args, "--json")
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    cast = build_cast(db)
    open_one = declare(db, cast.ic, title="Open", severity=2)
    secret = declare(db, cast.sec, title="Secret", severity=2, restricted=True)
    with db.unit_of_work() as uow:
        for incident, who in ((open_one, cast.ic), (secret, cast.sec)):
            do_transition(uow, who, incident, "resolved")
            do_start_review(uow, who, incident)
        uow.commit()
    listed = as_json("review", "list")
    assert sorted(x["reference"] for x in listed) == ["INC-1", "INC-2"]
    mine = as_json("review", "list", "--as", "outsider@example.com")
    assert [x["reference"] for x in mine] == ["INC-1"]
    assert as_json("review", "list", "--as", "viewer@example.com") == []  # drafts only
    shown = run("review", "show", "INC-1")
    assert shown.output.startswith("Draft · version 1")
    assert "Post-incident review: INC-1 Open" in shown.output
    hidden = run("review", "show", "INC-2", "--as", "outsider@example.com")
    assert hidden.exit_code == Exit.NOT_FOUND
    out = tmp_path / "r.html"
    assert run("review", "export", "INC-1", "--format", "html", "-o", str(out)).exit_code == 0
    assert out.read_text().startswith("<!doctype html>")
    assert "## Summary" in run("review", "export", "INC-1").output
