"""The fault tests start servers, workers and PostgreSQL clusters and kill them: one at a
time, whichever worker runs them. They carry ``xdist_group("faults")``, but with pytest 9
pytest-xdist 3.8's loadgroup no longer groups (it renames ``item._nodeid``, which pytest
9 no longer reads), so a file lock also keeps them apart."""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def one_fault_test_at_a_time() -> Iterator[None]:
    with (Path(tempfile.gettempdir()) / "muster-fault-tests.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
