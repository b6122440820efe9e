"""``muster backup`` and ``muster restore``: the whole installation (database, evidence
and attachment files) to a directory or ``.tar.gz`` file, and back into a new one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from muster.backup.archive import Report, backup, restore
from muster.backup.database import BackupError
from muster.cli.common import JSON_OPTION, Exit, emit, settings
from muster.clock import SystemClock


def _print(report: Report, verb: str) -> None:
    click.echo(f"{verb} {report.path}: database ({report.database}, schema "
               f"{report.revision}) and {report.files} stored files")  # fmt: skip
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@JSON_OPTION
def backup_command(dest: Path, as_json: bool) -> None:
    """Write a consistent backup to DEST (a new directory, or a file ending .tar.gz),
    safe while Muster runs. Exit 1 if a stored file was missing or damaged."""
    try:
        report = backup(settings(), dest, SystemClock().now())
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(Exit.ERROR)
    emit(report.as_dict(), as_json, lambda: _print(report, "backed up to"))
    if report.problems:
        sys.exit(Exit.ERROR)


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path))
@JSON_OPTION
def restore_command(source: Path, as_json: bool) -> None:
    """Restore the backup SOURCE into this installation, whose database must be empty,
    then migrate it to this release's schema."""
    try:
        report = restore(settings(), source)
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(Exit.CONFLICT if "not empty" in str(exc) else Exit.ERROR)
    emit(report.as_dict(), as_json, lambda: _print(report, "restored from"))
    if report.problems:
        sys.exit(Exit.ERROR)
