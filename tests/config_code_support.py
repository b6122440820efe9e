"""Shared by the configuration-as-code tests: writing files, running the CLI, and
emptying a database between the two halves of a round trip."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from muster.cli.main import cli


def write(root: Path, files: dict[str, str]) -> Path:
    """Write ``{"teams/ops.yaml": "...yaml..."}`` under ``root`` (dedented)."""
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return root


def runner(db_url: str, var: Path) -> CliRunner:
    return CliRunner(env={"MUSTER_DATABASE_URL": db_url, "MUSTER_VAR_DIR": str(var)})


def run(db_url: str, var: Path, *args: str) -> Result:
    return runner(db_url, var).invoke(cli, list(args), catch_exceptions=False)


def _root_conftest(config: pytest.Config) -> Any:
    """tests/conftest.py (other folders' conftest modules share its module name)."""
    path = Path(__file__).with_name("conftest.py")
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "/") == path:
            return plugin
    raise LookupError("tests/conftest.py is not loaded")


def empty_database(db_url: str, sqlite_template: Path, config: pytest.Config) -> None:
    """Put the database back as migrations leave it (seeded rows only)."""
    if db_url.startswith("sqlite"):
        shutil.copy(sqlite_template, db_url.removeprefix("sqlite:///"))
        return
    conftest = _root_conftest(config)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(conftest.TABLES)} RESTART IDENTITY CASCADE"))
        for table in conftest.Base.metadata.sorted_tables:
            if table.name in conftest._SEEDED:
                conn.execute(table.insert(), conftest._SEEDED[table.name])
    engine.dispose()


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` by relative path, with its text."""
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
