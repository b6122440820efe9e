"""``muster config``: configuration as code — export, plan, apply a directory of YAML
files (one folder per kind, one file per object)."""

from __future__ import annotations

from pathlib import Path

import click

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.domain.config_code.apply import do_apply_config
from muster.domain.config_code.export import export_config
from muster.domain.config_code.plan import Plan, make_plan

DIR = click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
_SIGN = {"create": "+", "update": "~", "adopt": "=", "delete": "-"}


@click.group("config")
def config() -> None:
    """Configuration as code: export, plan, apply."""


@config.command("export")
@DIR
@JSON_OPTION
@handles_errors
def export(directory: Path, as_json: bool) -> None:
    """Write the whole configuration under DIRECTORY (its kind folders are rewritten)."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        counts = export_config(uow, directory)

    def text() -> None:
        for kind, n in counts.items():
            if n:
                click.echo(f"{kind:<22} {n} file(s)")
        click.echo(f"exported {sum(counts.values())} object(s) to {directory}")

    emit(counts, as_json, text)


@config.command("plan")
@DIR
@JSON_OPTION
@handles_errors
def plan(directory: Path, as_json: bool) -> None:
    """Show what applying DIRECTORY would create (+), change (~), adopt (=) and delete (-)."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = make_plan(uow, directory)
    emit(plan_json(found), as_json, lambda: show_plan(found))


@config.command("apply")
@DIR
@AS_OPTION
@JSON_OPTION
@handles_errors
def apply(directory: Path, as_email: str | None, as_json: bool) -> None:
    """Apply DIRECTORY in one transaction: everything, or nothing if anything is invalid."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        done = do_apply_config(uow, actor, directory)
        uow.commit()
    emit(plan_json(done), as_json, lambda: show_plan(done, applied=True))


def plan_json(found: Plan) -> dict[str, object]:
    return {
        "changes": [
            {"action": c.action, "kind": c.kind.folder, "name": c.name, "file": c.file,
             "diff": c.diff()}
            for c in found.changes
        ],
        "unmanaged": found.unmanaged,
    }  # fmt: skip


def show_plan(found: Plan, *, applied: bool = False) -> None:
    for change in found.changes:
        click.echo(
            f"{_SIGN[change.action]} {change.action:<6} {change.kind.label} {change.name!r} ({change.file})"
        )
        for line in change.diff():
            if not line.startswith("@@"):
                click.echo(f"    {line}")
    for kind, n in sorted(found.unmanaged.items()):
        click.echo(f"  {n} unmanaged {kind} left as they are (not in the files)")
    counts = ", ".join(f"{found.count(a)} to {a}" for a in ("create", "update", "adopt", "delete"))
    if found.empty:
        click.echo("no changes: Muster matches the files")
    else:
        click.echo(("applied: " if applied else "plan: ") + counts.replace(" to ", " "))
