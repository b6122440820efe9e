"""Turning form posts into domain input, running the domain command they ask for, and
domain errors back into form messages. A form post reads::

    try:
        data = parse_form(TeamCreate, pick(fields, FIELDS))
        team = run_command(ctx, accounts.do_create_team, caller.actor, data)
    except (InvalidInput, Conflict) as exc:
        return _form_page(..., failed_form(fields, exc), status_code=exc.status)
    return see_other(f"/teams/{team.id}")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Concatenate, ParamSpec, TypeVar
from zoneinfo import available_timezones

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from muster.db.uow import UnitOfWork
from muster.domain.inputs import parse_input
from muster.errors import FieldError, MusterError
from muster.web.context import AppContext

M = TypeVar("M", bound=BaseModel)
P = ParamSpec("P")
T = TypeVar("T")

CSRF_FIELD = "csrf_token"
# How a field is named in the error summary when it differs from "Field name".
LABELS = {
    "team_id": "Owning team",
    "user_id": "Person",
    "time_zone": "Time zone",
    "current_password": "Current password",
    "password": "Password",
    "expires_on": "Expires on",
}


def parse_form(model: type[M], data: dict[str, Any]) -> M:
    """Validate posted ``data`` (without its CSRF token) as ``model``."""
    return parse_input(model, {k: v for k, v in data.items() if k != CSRF_FIELD})


def field_errors(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: e.reason for e in errors}


async def posted(request: Request) -> dict[str, str]:
    """A dependency: the posted text fields (without the CSRF token).

    Async so the body is read on the event loop; the route itself can stay a plain
    function that FastAPI runs in its thread pool.
    """
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}


async def posted_lists(request: Request) -> dict[str, list[str]]:
    """A dependency: every posted text field with all its values (checkbox lists),
    without the CSRF token."""
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key != CSRF_FIELD:
            fields.setdefault(key, []).append(value)
    return fields


def pick(
    data: Mapping[str, str], names: Iterable[str], *, optional: Iterable[str] = ()
) -> dict[str, str]:
    """The named fields that were posted; ``optional`` ones are dropped when blank."""
    blank_is_absent = set(optional)
    return {
        name: data[name]
        for name in names
        if name in data and not (name in blank_is_absent and not data[name].strip())
    }


def run_command(
    ctx: AppContext,
    command: Callable[Concatenate[UnitOfWork, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run the domain ``command`` (``command(uow, *args, **kwargs)``) in one unit of work
    and commit; its result. Parse the form before: input is checked outside the writer's
    lock. A refusal (``InvalidInput``, ``Conflict`` ...) propagates, with nothing saved."""
    with ctx.db.unit_of_work() as uow:
        result = command(uow, *args, **kwargs)
        uow.commit()
    return result


def see_other(url: str) -> RedirectResponse:
    """Post/Redirect/Get: after a successful POST, send the browser to ``url``."""
    return RedirectResponse(url, status_code=303)


@dataclass
class FormState:
    """What a form shows: the values to fill in, and what was wrong with them."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    prefix: str = "f"
    labels: dict[str, str] = field(default_factory=dict)  # this form's own field names

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def label(self, name: str) -> str:
        return self.labels.get(name) or LABELS.get(name, name.replace("_", " ").capitalize())


def blank_form(prefix: str = "f", **values: str) -> FormState:
    return FormState(values=dict(values), prefix=prefix)


def failed_form(
    values: Mapping[str, str],
    exc: MusterError,
    *,
    prefix: str = "f",
    renames: Mapping[str, str] | None = None,
) -> FormState:
    """The form as submitted, with the error's field messages (``renames`` maps the
    domain's field names onto the form's)."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        name = _renamed(e.field, renames or {})
        reason = e.reason.removeprefix("Value error, ")
        errors[name] = f"{errors[name]}; {reason}" if name in errors else reason
    kept = {k: v for k, v in values.items() if "password" not in k}  # never echo secrets
    return FormState(values=kept, errors=errors, problem=exc.detail, prefix=prefix)


def _renamed(name: str, renames: Mapping[str, str]) -> str:
    """The form's name for a domain field: ``renames`` by the longest dotted prefix
    (``grouping.labels.0`` → the rename of ``grouping.labels``), else the name itself."""
    parts = name.split(".")
    while parts:
        key = ".".join(parts)
        if key in renames:
            return renames[key]
        parts.pop()
    return name


@cache
def time_zones() -> list[str]:
    """Every IANA zone name the schemas accept, sorted, for a <datalist>."""
    return sorted(available_timezones())
