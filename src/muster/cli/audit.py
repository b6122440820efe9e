"""``muster audit``: the event log's integrity."""

from __future__ import annotations

import sys

import click

from muster.cli.common import Exit, database, emit
from muster.domain.events.verify import verify_chains


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command()
@click.option("--json", "as_json", is_flag=True)
def verify(as_json: bool) -> None:
    """Walk every hash chain; report the first broken link (exit 7 if any)."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        report = verify_chains(uow)
    brk = report.first_break
    data = {
        "ok": report.ok,
        "streams": report.streams,
        "events": report.events,
        "first_break": None
        if brk is None
        else {"stream": brk.stream, "seq": brk.seq, "event_id": brk.event_id, "reason": brk.reason},
    }

    def text() -> None:
        if brk is None:
            click.echo(f"ok: {report.events} events in {report.streams} chains verified")
        else:
            click.echo(
                f"BROKEN: stream {brk.stream} at seq {brk.seq}"
                f" (event {brk.event_id or '-'}): {brk.reason}"
            )
            click.echo(f"{report.events} events verified before the break")

    emit(data, as_json, text)
    if brk is not None:
        sys.exit(Exit.CHAIN_BROKEN)
