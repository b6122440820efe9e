"""``muster escalation``: the same commands and rules as the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from escalation_support import build_world, make_policy, notified, trigger, user
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database
from muster.engine.modules import default_modules
from muster.engine.runner import Runner


def test_assign_show_escalate_and_errors(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    def as_json(*args: str) -> Any:
        r = run(*args, "--json")
        assert r.exit_code == 0, r.output
        return json.loads(r.output)

    w = build_world(db)
    make_policy(db, w, [[user(w.alice)], [user(w.bob)]], name="Checkout", assign=False)
    assert (
        as_json("escalation", "assign", "--service", "checkout", "--policy", "checkout")[
            "escalation_policy_name"
        ]
        == "Checkout"
    )
    assert [p["name"] for p in as_json("escalation", "policies")] == ["Checkout"]
    group = trigger(db, w)
    Runner(db, default_modules()).run_until_idle()
    state = as_json("escalation", "show", group)
    assert (state["status"], state["reached_level"]) == ("active", 1)
    assert as_json("escalation", "escalate-now", group)["reached_level"] == 2
    assert [n[0] for n in notified(db)] == [w.alice, w.bob]
    assert run("escalation", "snooze", group, "--minutes", "0").exit_code == Exit.INVALID
    assert run("escalation", "show", "no-such-group").exit_code == Exit.NOT_FOUND
    assert (
        as_json("escalation", "reassign", group, "--user", "carol@example.com")["policy_name"]
        == "Reassigned to Carol"
    )
    assert as_json("escalation", "snooze", group, "--minutes", "30")["status"] == "snoozed"
