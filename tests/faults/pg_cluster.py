"""A PostgreSQL cluster of a test's own (initdb into a temporary directory, pg_ctl on a
free port, as the ``postgres`` OS user), so it can be stopped and started under load
without touching the PostgreSQL other tests share."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from faults.support import REQUIRE_PG, free_port


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() != 0:
        return list(args)
    return ["runuser", "-u", "postgres", "--", *args]


class Cluster:
    def __init__(self, bindir: Path, data: Path, port: int) -> None:
        self.bindir, self.data, self.port = bindir, data, port

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60",
                         *args),
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.data} -c fsync=on"
        self._ctl("-l", str(self.data / "log"), "-o", opts, "start")

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: no shutdown checkpoint, connections cut as in a crash."""
        self._ctl("-m", mode, "stop")


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    bindir = _bin()
    if bindir is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        reason = "no PostgreSQL server binaries (initdb, pg_ctl) to start a cluster of our own"
        if REQUIRE_PG:
            pytest.fail(reason)
        print(f"skipped: {reason}")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="muster-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(
        _as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                     "--auth=trust", "--no-sync", "-E", "UTF8"),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    cluster = Cluster(bindir, data, free_port())
    cluster.start()
    try:
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
