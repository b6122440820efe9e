"""``muster playbook``: apply YAML files, list and show playbooks, dry-run or run one on
an incident, and install the playbooks shipped with Muster.

Commands act as the CLI (an administrator) unless ``--as EMAIL`` names a person, whose
role and visibility then apply exactly as through the API.
"""

from __future__ import annotations

from pathlib import Path

import click

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.domain.incidents.service import find_incident
from muster.domain.playbooks import runs, service
from muster.domain.playbooks.defaults import do_install_defaults
from muster.domain.playbooks.dry_run import dry_run
from muster.domain.playbooks.parse import MAX_SOURCE
from muster.domain.playbooks.views import playbook_out, preview_out, run_out
from muster.errors import FieldError, InvalidInput


@click.group("playbook")
def playbook() -> None:
    """Playbooks: apply, list, show, dry-run, run, install-defaults."""


@playbook.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@AS_OPTION
@JSON_OPTION
@handles_errors
def apply(file: Path, as_email: str | None, as_json: bool) -> None:
    """Create a playbook from FILE (YAML), or save it as the next version of the playbook
    with its key. Applying an unchanged file does nothing."""
    if file.stat().st_size > MAX_SOURCE:
        raise InvalidInput(
            "file too large", errors=[FieldError("source", f"larger than {MAX_SOURCE // 1024} KB")]
        )
    source = file.read_text(encoding="utf-8")
    with database() as db, db.unit_of_work() as uow:
        found = service.do_apply_playbook(uow, acting_as(uow, as_email), source)
        uow.commit()
        out = playbook_out(found)
    emit(out, as_json, lambda: click.echo(f"{out.key}: version {out.current_version} saved"))


@playbook.command("list")
@click.option("--archived", is_flag=True, help="List archived playbooks instead.")
@JSON_OPTION
@handles_errors
def list_(archived: bool, as_json: bool) -> None:
    """The playbooks, by key."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = [playbook_out(p) for p in service.list_playbooks(uow, archived=archived,
                                                                 limit=500).items]  # fmt: skip

    def text() -> None:
        for p in found:
            state = "enabled " if p.enabled else "disabled"
            flags = " (shipped)" if p.builtin else ""
            click.echo(f"{p.key:<28} v{p.current_version:<3} {state}  {p.name}{flags}")

    emit(found, as_json, text)


@playbook.command("show")
@click.argument("key")
@JSON_OPTION
@handles_errors
def show(key: str, as_json: bool) -> None:
    """A playbook (by key or id) and its current YAML."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = service.get_playbook(uow, key)
        out = playbook_out(found, service.versions(uow, found.id))

    def text() -> None:
        click.echo(f"{out.key}: {out.name} (version {out.current_version}, "
                   f"{'enabled' if out.enabled else 'disabled'})")  # fmt: skip
        click.echo("")
        click.echo((out.versions or [])[0].source if out.versions else "")

    emit(out, as_json, text)


@playbook.command("dry-run")
@click.argument("key")
@click.argument("incident_ref")
@AS_OPTION
@JSON_OPTION
@handles_errors
def dry_run_(key: str, incident_ref: str, as_email: str | None, as_json: bool) -> None:
    """What playbook KEY would do on INCIDENT_REF (INC-12, 12 or an id) now; changes
    nothing."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, incident_ref)
        previews = [preview_out(p) for p in dry_run(uow, actor, key, incident.id)]

    def text() -> None:
        for p in previews:
            click.echo(f"{p.would:<5} {p.name} ({p.kind}): {p.why}")
            for name, value in p.rendered.items():
                click.echo(f"        {name}: {value}")

    emit(previews, as_json, text)


@playbook.command("run")
@click.argument("key")
@click.argument("incident_ref")
@AS_OPTION
@JSON_OPTION
@handles_errors
def run(key: str, incident_ref: str, as_email: str | None, as_json: bool) -> None:
    """Start playbook KEY on INCIDENT_REF; the engine takes its steps."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, incident_ref)
        started = runs.do_run_manually(uow, actor, key, incident.id)
        uow.commit()
        out = run_out(started, runs.steps_of(uow, started))
    emit(out, as_json, lambda: click.echo(f"run {out.id} started ({len(out.steps or [])} steps)"))


@playbook.command("install-defaults")
@AS_OPTION
@JSON_OPTION
@handles_errors
def install_defaults(as_email: str | None, as_json: bool) -> None:
    """Install the playbooks shipped with Muster whose keys are not taken."""
    with database() as db, db.unit_of_work() as uow:
        installed = [playbook_out(p) for p in do_install_defaults(uow, acting_as(uow, as_email))]
        uow.commit()

    def text() -> None:
        for p in installed:
            click.echo(f"installed {p.key}: {p.name}")
        if not installed:
            click.echo("nothing to install: every shipped playbook's key is taken")

    emit(installed, as_json, text)
