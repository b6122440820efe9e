"""``muster incident``: declare, list, show, update (fields and status), add notes and
export one whole (JSON, HTML report, PDF).

Commands act as the CLI (an administrator) unless ``--as EMAIL`` names a person, whose
role and visibility then apply exactly as through the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from muster.cli.common import (
    AS_OPTION,
    JSON_OPTION,
    acting_as,
    database,
    emit,
    handles_errors,
    settings,
)
from muster.domain.catalog.service import find_service
from muster.domain.incidents import service as incidents
from muster.domain.incidents import transitions
from muster.domain.incidents.lifecycle import OPEN_STATUSES, STATUS_LABELS
from muster.domain.incidents.notes import do_add_note
from muster.domain.incidents.report import FORMATS, export_report, json_chunks
from muster.domain.incidents.schemas import IncidentCreate, IncidentOut, IncidentUpdate
from muster.domain.incidents.views import incident_out, incidents_out
from muster.domain.inputs import parse_input
from muster.web.pdf import check_pdf_available, html_to_pdf
from muster.web.ui.report_html import report_html


@click.group("incident")
def incident() -> None:
    """Incidents: declare, list, show, update, note, export."""


def _line(out: IncidentOut) -> str:
    flags = " [restricted]" if out.restricted else ""
    return (
        f"{out.reference}  {out.severity_name}  {STATUS_LABELS[out.status]:<13} {out.title}{flags}"
    )


def _print(out: IncidentOut) -> None:
    click.echo(f"{out.reference}: {out.title}")
    click.echo(f"  status     {STATUS_LABELS[out.status]}")
    click.echo(f"  severity   {out.severity_name}    type {out.type}")
    click.echo(f"  declared   {out.declared_at.isoformat()} by {out.declared_by}")
    click.echo(f"  detected   {out.detected_at.isoformat()}")
    if out.services:
        click.echo("  services   " + ", ".join(s.name for s in out.services))
    for role in out.roles:
        click.echo(f"  {role.role_name}: {role.user_name}")
    if out.needs_commander:
        click.echo("  ! no Incident Commander: this severity needs one")
    if out.restricted:
        click.echo("  restricted (need-to-know)")


@incident.command("declare")
@click.argument("title")
@click.option("--severity", type=click.IntRange(1, 5), default=3, show_default=True)
@click.option("--type", "type_", default="operational", show_default=True)
@click.option("--service", "services", multiple=True, help="A service's name or id (repeat).")
@click.option("--summary", default="")
@click.option("--customer-facing", is_flag=True)
@click.option("--restricted/--not-restricted", default=None, help="Default: the type's.")
@click.option("--tag", "tags", multiple=True)
@click.option("--detected-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), default=None)
@AS_OPTION
@JSON_OPTION
@handles_errors
def declare(
    title: str, severity: int, type_: str, services: tuple[str, ...], summary: str,
    customer_facing: bool, restricted: bool | None, tags: tuple[str, ...],
    detected_at: datetime | None, as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Declare an incident."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        service_ids = [find_service(uow, s).id for s in services]
        data = parse_input(
            IncidentCreate,
            {
                "title": title, "severity": severity, "type": type_, "service_ids": service_ids,
                "summary": summary, "customer_facing": customer_facing,
                "restricted": restricted, "tags": list(tags), "detected_at": detected_at,
            },
        )  # fmt: skip
        made = incidents.do_declare_incident(uow, actor, data)
        uow.commit()
        out = incident_out(uow, made)
    emit(out, as_json, lambda: click.echo(f"declared {_line(out)}"))


@incident.command("list")
@click.option("--status", "statuses", multiple=True)
@click.option("--severity", "severities", type=click.IntRange(1, 5), multiple=True)
@click.option("--open", "open_only", is_flag=True, help="Only incidents still being worked.")
@click.option("--search", default=None)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@AS_OPTION
@JSON_OPTION
@handles_errors
def list_(
    statuses: tuple[str, ...], severities: tuple[int, ...], open_only: bool, search: str | None,
    limit: int, as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """List incidents, newest first."""
    wanted = list(statuses) or (list(OPEN_STATUSES) if open_only else [])
    f = incidents.IncidentFilter(status=wanted, severity=severities, text=search)
    with database() as db, db.unit_of_work(readonly=True) as uow:
        page = incidents.list_incidents(uow, acting_as(uow, as_email), f, limit=limit)
        rows = incidents_out(uow, page.items)

    def text() -> None:
        for out in rows:
            click.echo(_line(out))
        if not rows:
            click.echo("no incidents")

    emit(rows, as_json, text)


@incident.command("show")
@click.argument("ref")
@AS_OPTION
@JSON_OPTION
@handles_errors
def show(ref: str, as_email: str | None, as_json: bool) -> None:
    """Show an incident (REF: INC-12, 12 or its id)."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        out = incident_out(uow, incidents.find_incident(uow, acting_as(uow, as_email), ref))
    emit(out, as_json, lambda: _print(out))


@incident.command("update")
@click.argument("ref")
@click.option("--status", default=None, help="Move to this status (investigating reopens).")
@click.option("--title", default=None)
@click.option("--severity", type=click.IntRange(1, 5), default=None)
@click.option("--summary", default=None)
@click.option("--impact", default=None)
@click.option("--note", default="", help="Why (recorded with a status change).")
@AS_OPTION
@JSON_OPTION
@handles_errors
def update(
    ref: str, status: str | None, title: str | None, severity: int | None, summary: str | None,
    impact: str | None, note: str, as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Change an incident's fields and/or status."""
    fields = {
        k: v
        for k, v in {
            "title": title,
            "severity": severity,
            "summary": summary,
            "impact": impact,
        }.items()
        if v is not None
    }
    if not fields and status is None:
        raise click.UsageError("nothing to change: give --status or a field")
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        found = incidents.find_incident(uow, actor, ref)
        if fields:
            incidents.do_update_incident(uow, actor, found.id, parse_input(IncidentUpdate, fields))
        if status is not None:
            transitions.do_transition(uow, actor, found.id, status, note=note)
        uow.commit()
        out = incident_out(uow, found)
    emit(out, as_json, lambda: click.echo(f"updated {_line(out)}"))


@incident.command("note")
@click.argument("ref")
@click.argument("body")
@AS_OPTION
@handles_errors
def note(ref: str, body: str, as_email: str | None) -> None:
    """Add a note (Markdown) to an incident's timeline."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        found = incidents.find_incident(uow, actor, ref)
        do_add_note(uow, actor, found.id, body)
        uow.commit()
        click.echo(f"noted on {incidents.reference(found)}")


@incident.command("export")
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
    help="The file to write (default: standard output).",
)  # fmt: skip
@AS_OPTION
@handles_errors
def export(ref: str, fmt: str, output: str, as_email: str | None) -> None:
    """Export an incident whole (REF: INC-12, 12 or its id): JSON, the HTML report, or
    the report as PDF (needs Chromium). Recorded on the incident's timeline."""
    chromium = check_pdf_available(settings().extra) if fmt == "pdf" else ""

    def render(data: dict[str, Any]) -> bytes:
        if fmt == "json":
            return "".join(json_chunks(data)).encode()
        page = report_html(data, standalone=True)
        return html_to_pdf(page, chromium) if fmt == "pdf" else page.encode()

    with database() as db:
        with db.unit_of_work(readonly=True) as uow:
            actor = acting_as(uow, as_email)
            incident_id = incidents.find_incident(uow, actor, ref).id
        body = export_report(db, actor, incident_id, fmt, render)
    with click.open_file(output, "wb") as out:
        out.write(body)
