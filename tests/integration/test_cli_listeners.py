"""``muster smtp`` and ``muster syslog``, the stand-alone intake listeners: a port that
cannot be had is named plainly (exit 1), and a running listener stops cleanly on SIGTERM
(the run-until-stopped loop they share, muster.cli.listeners)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from muster.cli.main import cli
from muster.db.uow import Database


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize(("command", "what"), [("smtp", "SMTP"), ("syslog", "syslog")])
def test_a_taken_port_is_named(
    command: str, what: str, taken_port: int, db: Database, db_url: str, tmp_path: Path
) -> None:
    env = {"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(cli, [command, "--host", "127.0.0.1", "--port", str(taken_port)],
                                env=env)  # fmt: skip
    assert result.exit_code == 1, result.output
    assert f"cannot listen for {what} on 127.0.0.1:{taken_port}" in result.output


def test_syslog_runs_until_sigterm(db: Database, db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(tmp_path / "var")}
    proc = subprocess.Popen([sys.executable, "-m", "muster", "syslog", "--port", "0"], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip
    try:
        output, port = "", None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline and proc.stdout is not None:
            line = proc.stdout.readline()
            output += line
            found = re.search(r"udp\+tcp://[^:]+:(\d+)", line)
            port = int(found.group(1)) if found else None
            if not line and proc.poll() is not None:
                break
        assert port, f"the listener did not start: {output}"
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass  # it listens
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
