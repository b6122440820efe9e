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
from muster.db.uow import Database
from muster.domain.events.actor import Actor, Via
from muster.errors import Conflict, InvalidInput, MusterError, NotFound, PermissionDenied
from muster.runtime import open_database

P = ParamSpec("P")
R = TypeVar("R")

CLI_ACTOR = Actor.system(Via.CLI, label="cli")


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
