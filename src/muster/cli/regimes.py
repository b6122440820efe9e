"""``muster regime``: the catalogue of notification regimes (list, show). Admins edit it
in the web UI or over the API."""

from __future__ import annotations

import click

from muster.cli.common import JSON_OPTION, database, emit, handles_errors
from muster.domain.compliance import regimes


@click.group("regime")
def regime() -> None:
    """Notification regimes: list, show."""


@regime.command("list")
@click.option("--archived", is_flag=True, help="Include archived regimes.")
@JSON_OPTION
@handles_errors
def list_(archived: bool, as_json: bool) -> None:
    """The regimes by name, with their reports' deadlines."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        found = [regimes.regime_out(uow, r) for r in regimes.regimes(uow, include_archived=archived)]  # fmt: skip

    def text() -> None:
        for r in found:
            flags = "".join([" (proposed)" if r.proposed else "", " (archived)" if r.archived_at else ""])  # fmt: skip
            click.echo(f"{r.key:<16} v{r.version:<3} {r.name}{flags}")
            for rep in r.reports:
                click.echo(f"    {rep.key:<18} {rep.deadline}")

    emit(found, as_json, text)


@regime.command("show")
@click.argument("key")
@JSON_OPTION
@handles_errors
def show(key: str, as_json: bool) -> None:
    """A regime (by key or id): its reports, deadlines and guidance."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        out = regimes.regime_out(uow, regimes.find_regime(uow, key))

    def text() -> None:
        flags = " — PROPOSED" if out.proposed else ""
        click.echo(f"{out.key}: {out.name} (version {out.version}){flags}")
        if out.description:
            click.echo(out.description)
        for rep in out.reports:
            click.echo(
                f"\n{rep.key}: {rep.name}" + (f" → {rep.recipient}" if rep.recipient else "")
            )
            click.echo(f"  due: {rep.deadline}")
            if rep.guidance:
                click.echo(f"  {rep.guidance}")

    emit(out, as_json, text)
