"""What every command group shares: settings, database, exit codes, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import click
from pydantic import BaseModel

from muster.config import Settings, load_settings
from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.service import find_user_by_email
from muster.domain.events.actor import Actor, Role, Via
from muster.errors import Conflict, InvalidInput, MusterError, NotFound, PermissionDenied
from muster.runtime import open_database

P = ParamSpec("P")
R = TypeVar("R")

CLI_ACTOR = Actor.system(Via.CLI, label="cli")

AS_OPTION = click.option(
    "--as", "as_email", default=None, help="Act as this person (their role applies)."
)
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def acting_as(uow: UnitOfWork, as_email: str | None) -> Actor:
    """The CLI (an administrator), or with ``--as`` the active person with that email,
    whose role and visibility then apply as through the API."""
    if as_email is None:
        return CLI_ACTOR
    user = find_user_by_email(uow, as_email)
    if user is None or user.archived_at is not None:
        raise NotFound(f"no active person has the email {as_email}")
    return Actor(kind="user", id=user.id, label=user.email, role=Role.parse(user.role), via=Via.CLI)


class Exit(IntEnum):
    """Named exit codes, the same for every command."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    INVALID = 4
    CONFLICT = 5
    FORBIDDEN = 6
    CHAIN_BROKEN = 7


def settings() -> Settings:
    return load_settings()


@contextmanager
def database() -> Iterator[Database]:
    db = open_database(settings())
    try:
        yield db
    finally:
        db.dispose()


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Print a domain error plainly and exit with its named code."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except MusterError as exc:
            code = {
                NotFound: Exit.NOT_FOUND,
                InvalidInput: Exit.INVALID,
                Conflict: Exit.CONFLICT,
                PermissionDenied: Exit.FORBIDDEN,
            }.get(type(exc), Exit.ERROR)
            click.echo(f"error: {exc.detail}", err=True)
            for e in exc.errors:
                click.echo(f"  {e.field}: {e.reason}", err=True)
            sys.exit(code)

    return wrapper


def emit(data: Any, as_json: bool, text: Callable[[], None]) -> None:
    """Print ``data`` as JSON with ``--json``, otherwise call ``text`` to print it."""
    if as_json:
        if isinstance(data, BaseModel):
            click.echo(data.model_dump_json(indent=2))
        elif isinstance(data, list) and data and isinstance(data[0], BaseModel):
            click.echo(json.dumps([d.model_dump(mode="json") for d in data], indent=2))
        else:
            click.echo(json.dumps(data, indent=2, default=str))
    else:
        text()
