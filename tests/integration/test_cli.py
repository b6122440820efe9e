"""The command line: the same domain commands and rules as the API."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from helpers import post_login
from muster.cli.common import Exit
from muster.cli.main import cli
from muster.db.uow import Database
from muster.domain.events.models import Event
from muster.domain.events.service import recent_events


@pytest.fixture
def run(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    return invoke


def test_user_create_list_and_token(run, db: Database) -> None:  # type: ignore[no-untyped-def]
    r = run("user", "create", "--email", "Ops@Example.com", "--name", "Ops", "--role", "admin",
            "--password", "a long password", "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    created = json.loads(r.output)
    assert created["email"] == "ops@example.com"
    r = run("user", "list", "--json")
    assert [u["email"] for u in json.loads(r.output)] == ["ops@example.com"]
    r = run("token", "create", "--user", "ops@example.com", "--name", "deploy")
    assert r.exit_code == 0
    token = r.output.strip()
    assert token.startswith("mst_")
    with db.unit_of_work(readonly=True) as uow:
        events = recent_events(uow, limit=10)
        assert {e.via for e in events} == {"cli"}
        assert {e.type for e in events} == {"user.created", "api_token.created"}


def test_cli_errors_have_named_exit_codes(run) -> None:  # type: ignore[no-untyped-def]
    r = run("token", "create", "--user", "nobody@example.com", "--name", "x")
    assert r.exit_code == Exit.NOT_FOUND
    r = run("user", "create", "--email", "bad", "--name", "X", "--password", "a long password")
    assert r.exit_code == Exit.INVALID
    assert "email" in r.output
    run(
        "user", "create", "--email", "a@example.com", "--name", "A", "--password", "a long password"
    )
    r = run(
        "user", "create", "--email", "a@example.com", "--name", "A", "--password", "a long password"
    )
    assert r.exit_code == Exit.CONFLICT


def test_audit_verify_reports_the_first_broken_link(run, db: Database) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        run(
            "user",
            "create",
            "--email",
            f"u{i}@example.com",
            "--name",
            f"U{i}",
            "--password",
            "a long password",
        )
    r = run("audit", "verify")
    assert r.exit_code == 0
    assert "ok: 3 events" in r.output
    with db.unit_of_work() as uow:
        victim = recent_events(uow, limit=3)[1]
        uow.session.execute(
            update(Event).where(Event.id == victim.id).values(actor_label="someone else")
        )
        uow.commit()
    r = run("audit", "verify", "--json")
    assert r.exit_code == Exit.CHAIN_BROKEN
    report = json.loads(r.output)
    assert report["ok"] is False
    assert report["first_break"]["event_id"] == victim.id
    assert report["first_break"]["stream"] == victim.stream


def test_engine_once(run) -> None:  # type: ignore[no-untyped-def]
    r = run("engine", "--once", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["errors"] == {}
    assert {"token_expiry", "heartbeats", "escalation_reactions", "escalation_timers"} <= set(
        out["items"]
    )
    assert set(out["items"].values()) == {0}  # an empty database: nothing to do


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_bootstraps_a_fresh_install(tmp_path: Path) -> None:
    """`muster serve` on an empty directory migrates, creates and prints the first admin,
    serves the UI, and the printed password signs in."""
    port = _free_port()
    env = {**os.environ, "MUSTER_VAR_DIR": str(tmp_path / "var"), "MUSTER_PORT": str(port)}
    env.pop("MUSTER_DATABASE_URL", None)
    env.pop("MUSTER_ADMIN_EMAIL", None)
    env.pop("MUSTER_ADMIN_PASSWORD", None)
    proc = subprocess.Popen([sys.executable, "-m", "muster", "serve"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        output = ""
        deadline = time.monotonic() + 30
        while "Muster on" not in output and time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            output += line
        match = re.search(r"password \(shown once.*\): (\S+)", output)
        assert match, output
        assert "admin@localhost" in output
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        with httpx.Client(base_url=base) as client:
            r = post_login(client, {"email": "admin@localhost", "password": match.group(1)})
            assert r.status_code == 303
            assert r.headers["location"] == "/"
            assert "Good to see you" in client.get("/").text
        assert (tmp_path / "var" / "muster.db").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
