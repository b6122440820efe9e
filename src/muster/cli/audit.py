"""``muster audit``: the event log's integrity, its export, and its forwarders."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TextIO

import click

from muster.cli.common import CLI_ACTOR, Exit, database, emit, handles_errors
from muster.domain.audit.export import check_format, do_record_export, stream_export
from muster.domain.audit.forwarders import forwarder_out, list_forwarders, log_end
from muster.domain.audit.query import AuditFilter, check_filter
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


@audit.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: standard output).")  # fmt: skip
@click.option("--actor", help="Actor id, or part of an actor's label.")
@click.option("--via", help="Door: ui, api, cli, engine, system, ingest, sso.")
@click.option("--type-prefix", help="Event types starting with this, e.g. service.")
@click.option("--subject-type")
@click.option("--subject-id")
@click.option("--since", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
              help="From (a date is UTC midnight).")  # fmt: skip
@click.option("--until", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]))
@handles_errors
def export(
    fmt: str, output: TextIO, actor: str | None, via: str | None,
    type_prefix: str | None, subject_type: str | None, subject_id: str | None,
    since: datetime | None, until: datetime | None,
) -> None:  # fmt: skip
    """Write the audit log (filtered) as JSON lines or CSV, oldest first."""
    f = check_filter(AuditFilter(actor=actor, via=via, type_prefix=type_prefix,
                                 subject_type=subject_type, subject_id=subject_id,
                                 since=_utc(since), until=_utc(until)))  # fmt: skip
    check_format(fmt)
    with database() as db:
        with db.unit_of_work() as uow:
            through = do_record_export(uow, CLI_ACTOR, f, fmt)
            uow.commit()
        for chunk in stream_export(db, f, fmt, through=through):
            output.write(chunk)


def _utc(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


@audit.command("forwarders")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def forwarders(as_json: bool) -> None:
    """The audit forwarders and how far each has sent (configure them in the UI or API)."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        end = log_end(uow)
        rows = [forwarder_out(h, end) for h in list_forwarders(uow, CLI_ACTOR)]

    def text() -> None:
        if not rows:
            click.echo("no audit forwarders")
        for r in rows:
            where = r.url if r.kind == "webhook" else f"syslog+{r.transport}://{r.host}:{r.port}"
            state = (
                "paused" if not r.enabled else (f"FAILING: {r.last_error}" if r.failures else "ok")
            )
            click.echo(f"{r.name}\t{where}\tsent {r.forwarded}\tbehind {r.behind}\t{state}")

    emit(rows, as_json, text)
