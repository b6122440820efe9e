"""``muster user``: manage people."""

from __future__ import annotations

import click

from muster.cli.common import CLI_ACTOR, database, emit, handles_errors
from muster.domain.accounts import service as accounts
from muster.domain.accounts.schemas import UserCreate, UserOut
from muster.domain.inputs import parse_input


@click.group()
def user() -> None:
    """People who use Muster."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", type=click.Choice(["viewer", "responder", "manager", "admin"]), default="responder"
)
@click.option("--time-zone", default="UTC", show_default=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when not given.",
)
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def create(email: str, name: str, role: str, time_zone: str, password: str, as_json: bool) -> None:
    """Create a user."""
    data = parse_input(
        UserCreate,
        {"email": email, "name": name, "role": role, "time_zone": time_zone, "password": password},
    )
    with database() as db, db.unit_of_work() as uow:
        created = accounts.do_create_user(uow, CLI_ACTOR, data)
        uow.commit()
        out = UserOut.model_validate(created)
    emit(out, as_json, lambda: click.echo(f"created {out.email} ({out.role}) id={out.id}"))


@user.command("list")
@click.option("--archived", is_flag=True, help="List archived users instead.")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def list_(archived: bool, as_json: bool) -> None:
    """List users."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        out: list[UserOut] = []
        cursor = None
        while True:
            page = accounts.list_users(uow, cursor=cursor, limit=500, archived=archived)
            out.extend(UserOut.model_validate(u) for u in page.items)
            if not (cursor := page.next_cursor):
                break

    def text() -> None:
        for u in out:
            click.echo(f"{u.email:<40} {u.role:<10} {u.name:<30} {u.id}")

    emit(out, as_json, text)
