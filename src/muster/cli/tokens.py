"""``muster token``: personal API tokens."""

from __future__ import annotations

from datetime import datetime

import click

from muster.cli.common import CLI_ACTOR, Exit, database, emit, handles_errors
from muster.domain.accounts import credentials
from muster.domain.accounts import service as accounts
from muster.domain.accounts.schemas import TokenCreated, TokenOut


@click.group()
def token() -> None:
    """Personal API tokens."""


@token.command("create")
@click.option("--user", "email", required=True, help="The email of the token's owner.")
@click.option("--name", required=True, help="What the token is for.")
@click.option(
    "--expires",
    type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z"]),
    default=None,
    help="Expiry with offset, e.g. 2027-01-01T00:00:00+00:00.",
)
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def create(email: str, name: str, expires: datetime | None, as_json: bool) -> None:
    """Create a token and print it (shown this once)."""
    with database() as db, db.unit_of_work() as uow:
        owner = accounts.find_user_by_email(uow, email)
        if owner is None:
            click.echo(f"error: no user with email {email}", err=True)
            raise SystemExit(Exit.NOT_FOUND)
        row, plaintext = credentials.do_create_api_token(uow, CLI_ACTOR, owner.id, name, expires)
        uow.commit()
        out = TokenCreated(**TokenOut.model_validate(row).model_dump(), token=plaintext)
    emit(out, as_json, lambda: click.echo(plaintext))
