"""``muster observable``: add, list and search an incident's observables (IPs, domains,
hashes ...). Commands act as the CLI (an administrator) unless ``--as EMAIL`` names a
person, whose role and visibility then apply exactly as through the API."""

from __future__ import annotations

import click

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.domain.incidents.service import find_incident, reference
from muster.domain.inputs import parse_input
from muster.domain.investigation import observables
from muster.domain.investigation.kinds import KINDS, TLPS
from muster.domain.investigation.schemas import ObservableIn, ObservableOut

KIND = click.Choice(KINDS)


@click.group("observable")
def observable() -> None:
    """Observables on incidents: add, list, search across incidents."""


def _line(out: ObservableOut) -> str:
    flags = " IOC" if out.ioc else ""
    flags += " sighted" if out.sighted else ""
    also = f"  (also in {out.seen_elsewhere})" if out.seen_elsewhere else ""
    return f"{out.kind:<13} {out.value}  TLP:{out.tlp}{flags}  [{out.source}]{also}"


@observable.command("add")
@click.argument("ref")
@click.argument("kind", type=KIND)
@click.argument("value")
@click.option("--tlp", type=click.Choice(TLPS), default="AMBER", show_default=True)
@click.option("--ioc", is_flag=True, help="An indicator of compromise.")
@click.option("--sighted", is_flag=True, help="Seen in our environment.")
@click.option("--tag", "tags", multiple=True)
@click.option("--description", default="")
@AS_OPTION
@JSON_OPTION
@handles_errors
def add(
    ref: str, kind: str, value: str, tlp: str, ioc: bool, sighted: bool, tags: tuple[str, ...],
    description: str, as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Add an observable to incident REF (INC-12 or an id)."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, ref)
        data = parse_input(
            ObservableIn,
            {"kind": kind, "value": value, "tlp": tlp, "ioc": ioc, "sighted": sighted,
             "tags": list(tags), "description": description},
        )  # fmt: skip
        row = observables.do_add_observable(uow, actor, incident.id, data)
        out = observables.observables_out(uow, actor, [row])[0]
        uow.commit()
    emit(out, as_json, lambda: click.echo(f"{reference(incident)}: added {_line(out)}"))


@observable.command("list")
@click.argument("ref")
@AS_OPTION
@JSON_OPTION
@handles_errors
def list_(ref: str, as_email: str | None, as_json: bool) -> None:
    """The observables of incident REF."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, ref)
        rows = observables.list_observables(uow, actor, incident.id)
        found = observables.observables_out(uow, actor, rows)

    def text() -> None:
        if not found:
            click.echo(f"{reference(incident)}: no observables")
        for out in found:
            click.echo(_line(out))

    emit(found, as_json, text)


@observable.command("search")
@click.argument("value")
@click.option("--kind", type=KIND, default=None)
@click.option("--limit", type=click.IntRange(1, observables.MAX_SEARCH), default=50)
@AS_OPTION
@JSON_OPTION
@handles_errors
def search(value: str, kind: str | None, limit: int, as_email: str | None, as_json: bool) -> None:
    """Where else VALUE was seen: every incident with it, newest first."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        found = list(observables.search_observables(uow, actor, value, kind, limit=limit).items)

    def text() -> None:
        if not found:
            click.echo("not seen in any incident")
        for s in found:
            o = s.observable
            click.echo(
                f"{s.incident_reference:<9} {s.incident_status:<13} {o.kind:<13} {o.value}"
                f"  TLP:{o.tlp}  {s.incident_title}"
            )

    emit(found, as_json, text)
