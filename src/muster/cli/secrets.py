"""``muster secret``: the secret store playbook actions read (values never printed)."""

from __future__ import annotations

import sys

import click

from muster.cli.common import CLI_ACTOR, Exit, database, emit, handles_errors, settings
from muster.domain.playbooks import secrets as store


@click.group("secret")
def secret() -> None:
    """Secrets for playbook actions (API tokens, passwords): write-only."""


@secret.command("set")
@click.argument("name")
@click.option("--description", default="", help="What the secret is for.")
@handles_errors
def set_(name: str, description: str) -> None:
    """Store NAME's value, read from standard input (one trailing newline dropped), e.g.
    ``printf %s "$TOKEN" | muster secret set EDR_TOKEN``."""
    value = sys.stdin.read()
    value = value[:-1] if value.endswith("\n") else value
    if value.endswith("\r"):
        value = value[:-1]
    if not value:
        click.echo("error: give the value on standard input", err=True)
        raise SystemExit(Exit.INVALID)
    key = settings().secret_key
    with database() as db, db.unit_of_work() as uow:
        row = store.do_set_secret(uow, CLI_ACTOR, name, value, key, description=description)
        uow.commit()
        click.echo(f"secret {row.name} set")


@secret.command("list")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def list_(as_json: bool) -> None:
    """The secrets' names (never their values)."""
    with database() as db, db.unit_of_work(readonly=True) as uow:
        rows = [
            {"name": r.name, "description": r.description, "updated_at": r.updated_at.isoformat(),
             "created_by": r.created_by}
            for r in store.secret_names(uow, CLI_ACTOR)
        ]  # fmt: skip

    def text() -> None:
        for r in rows:
            click.echo(f"{r['name']}\t{r['updated_at']}\t{r['description']}")

    emit(rows, as_json, text)


@secret.command("delete")
@click.argument("name")
@handles_errors
def delete(name: str) -> None:
    """Delete the secret NAME."""
    with database() as db, db.unit_of_work() as uow:
        store.do_delete_secret(uow, CLI_ACTOR, name)
        uow.commit()
        click.echo(f"secret {name} deleted")
