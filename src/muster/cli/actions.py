"""``muster action``: list, add and finish action items across incidents. Commands act
as the CLI (an administrator) unless ``--as EMAIL`` names a person, whose role and
visibility then apply exactly as through the API."""

from __future__ import annotations

from datetime import datetime

import click

from muster.cli.common import AS_OPTION, JSON_OPTION, acting_as, database, emit, handles_errors
from muster.db.uow import UnitOfWork
from muster.domain.accounts.service import find_user_by_email
from muster.domain.incidents.service import find_incident, reference
from muster.domain.inputs import parse_input
from muster.domain.reviews import action_views, actions
from muster.domain.reviews.action_schemas import (
    KINDS,
    PRIORITIES,
    STATUSES,
    ActionItemIn,
    ActionItemOut,
    ActionItemUpdate,
)


@click.group("action")
def action() -> None:
    """Action items (follow-ups) across incidents: list, add, done."""


def _line(out: ActionItemOut) -> str:
    late = "  OVERDUE" if out.overdue else ""
    owner = out.owner_name or "no owner"
    team = out.team_name or "no team"
    due = out.due_on.isoformat() if out.due_on else "no due day"
    return (f"{out.key:<7} {out.incident_ref:<9} {out.priority} {out.kind:<8} "
            f"{out.status:<11} {due:<10} {owner} / {team}: {out.title}{late}")  # fmt: skip


def person_id(uow: UnitOfWork, value: str) -> str:
    """An email's person id; anything else is passed on (for the command to refuse)."""
    user = find_user_by_email(uow, value) if "@" in value else None
    return user.id if user else value


@action.command("list")
@click.option("--incident", "ref", default=None, help="Only this incident's (INC-12 or id).")
@click.option("--team", "team_id", default=None, help="A team id.")
@click.option("--owner", default=None, help="An owner's email or id.")
@click.option("--status", type=click.Choice(STATUSES), multiple=True)
@click.option("--open", "open_only", is_flag=True, help="Open or in progress only.")
@click.option("--overdue", is_flag=True)
@click.option("--age", type=click.Choice([b[0] for b in action_views.AGE_BUCKETS]))
@click.option("--limit", type=click.IntRange(1, 500), default=100)
@AS_OPTION
@JSON_OPTION
@handles_errors
def list_(
    ref: str | None, team_id: str | None, owner: str | None, status: tuple[str, ...],
    open_only: bool, overdue: bool, age: str | None, limit: int, as_email: str | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Action items, oldest first."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        actor = acting_as(uow, as_email)
        incident_id = find_incident(uow, actor, ref).id if ref else None
        f = action_views.ActionItemFilter(
            team_id=team_id, owner_id=person_id(uow, owner) if owner else None,
            incident_id=incident_id, status=list(status), open_only=open_only,
            overdue=overdue, age=age,
        )  # fmt: skip
        page = action_views.list_action_items(uow, actor, f, limit=limit)
        found = action_views.items_out(uow, page.items)

    def text() -> None:
        if not found:
            click.echo("no action items")
        for out in found:
            click.echo(_line(out))

    emit(found, as_json, text)


@action.command("add")
@click.argument("ref")
@click.argument("title")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--priority", type=click.Choice(PRIORITIES), default="P3", show_default=True)
@click.option("--owner", default=None, help="The owner's email or id.")
@click.option("--team", "team_id", default=None, help="A team id (default: the owner's).")
@click.option("--due", "due_on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--tracker-url", default=None)
@click.option("--tracker-key", default=None)
@click.option("--description", default="")
@AS_OPTION
@JSON_OPTION
@handles_errors
def add(
    ref: str, title: str, kind: str, priority: str, owner: str | None, team_id: str | None,
    due_on: datetime | None, tracker_url: str | None, tracker_key: str | None, description: str,
    as_email: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Add an action item to incident REF (INC-12 or an id)."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        incident = find_incident(uow, actor, ref)
        due = due_on.date().isoformat() if due_on else None
        data = parse_input(ActionItemIn, {
            "title": title, "kind": kind, "priority": priority, "description": description,
            "owner_id": person_id(uow, owner) if owner else None, "team_id": team_id,
            "due_on": due, "tracker_url": tracker_url, "tracker_key": tracker_key,
        })  # fmt: skip
        item = actions.do_create_action_item(uow, actor, incident.id, data)
        out = action_views.items_out(uow, [item])[0]
        uow.commit()
    emit(out, as_json, lambda: click.echo(f"{reference(incident)}: added {_line(out)}"))


@action.command("done")
@click.argument("item")
@AS_OPTION
@JSON_OPTION
@handles_errors
def done(item: str, as_email: str | None, as_json: bool) -> None:
    """Mark action item ITEM (AI-3 or an id) done."""
    with database() as db, db.unit_of_work() as uow:
        actor = acting_as(uow, as_email)
        row = actions.do_update_action_item(
            uow, actor, item, parse_input(ActionItemUpdate, {"status": "done"})
        )
        out = action_views.items_out(uow, [row])[0]
        uow.commit()
    emit(out, as_json, lambda: click.echo(f"done: {_line(out)}"))
