"""``muster oncall who`` and ``muster schedule list``: who is on call, from the shell.

The same resolver as the API and UI answers (through the domain, never over HTTP).
"""

from __future__ import annotations

from datetime import datetime

import click

from muster.cli.common import database, emit, handles_errors
from muster.clock import isoformat
from muster.domain.oncall import queries
from muster.domain.oncall import service as oncall
from muster.domain.oncall.load import get_schedules
from muster.domain.oncall.schemas import OnCallOut, ScheduleOut
from muster.domain.oncall.views import schedule_out
from muster.errors import FieldError, InvalidInput


def parse_time(value: str) -> datetime | None:
    """``now`` (None) or an RFC 3339 instant with an offset."""
    if value.strip().lower() == "now":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            "bad --at",
            errors=[
                FieldError(
                    "at", "an RFC 3339 time with an offset, e.g. 2026-01-05T09:00:00Z, or now"
                )
            ],
        )
    return parsed


@click.group("oncall")
def oncall_group() -> None:
    """Who is on call."""


@oncall_group.command("who")
@click.argument("schedule", required=False)
@click.option("--at", "at_text", default="now", show_default=True, help="RFC 3339 time, or now.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def who(schedule: str | None, at_text: str, as_json: bool) -> None:
    """Who is on call for SCHEDULE (a name or id), or for every active schedule."""
    at = parse_time(at_text)
    with database() as db, db.unit_of_work(readonly=True) as uow:
        when = at or uow.now
        if schedule:
            rows = [queries.who_is_on_call(uow, oncall.find_schedule(uow, schedule).id, when)]
        else:
            rows = queries.on_call_everywhere(uow, when)

    def text() -> None:
        if not rows:
            click.echo("no active schedules")
        for row in rows:
            click.echo(_line(row))

    emit(rows, as_json, text)


def _line(row: OnCallOut) -> str:
    if row.user_id is None:
        return f"{row.schedule_name:<30} NOBODY ON CALL"
    until = f"until {isoformat(row.end)}" if row.end else "no end scheduled"
    via = "" if row.kind == "layer" else f" ({row.kind})"
    return f"{row.schedule_name:<30} {row.user_name}{via}  {until}"


@click.group("schedule")
def schedule_group() -> None:
    """On-call schedules."""


@schedule_group.command("list")
@click.option("--archived", is_flag=True, help="List archived schedules instead.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def list_(archived: bool, as_json: bool) -> None:
    """List schedules with their zone, team and layers."""
    out: list[ScheduleOut] = []
    with database() as db, db.unit_of_work(readonly=True) as uow:
        cursor = None
        while True:
            page = oncall.list_schedules(uow, cursor=cursor, limit=500, archived=archived)
            full = {s.id: s for s in get_schedules(uow, [s.id for s in page.items])}
            out.extend(schedule_out(uow, full[s.id], uow.now) for s in page.items)
            if not (cursor := page.next_cursor):
                break

    def text() -> None:
        if not out:
            click.echo("no schedules")
        for s in out:
            layers = ", ".join(layer.name for layer in s.layers) or "no layers"
            click.echo(f"{s.name:<30} {s.time_zone:<22} {s.team_name:<20} {layers}  {s.id}")

    emit(out, as_json, text)
