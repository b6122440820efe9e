"""Reading a scenario's YAML into a validated :class:`ScenarioDef`.

Every problem is reported at once, each with its field path (``injects.2.after``) and the
YAML line it comes from, as playbooks do. Beyond the schema: names are unique, an
inject's ``after`` names an earlier inject, an expectation's ``after`` names an inject,
a message goes to a role the scenario lists, an alert inject's payload is one its
format's intake takes, a device's zone is one of the site's.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from muster.domain.drills.intake import payload_problem
from muster.domain.drills.schemas import ScenarioDef
from muster.domain.yaml_source import duplicate_keys, line_of, yaml_reason
from muster.errors import FieldError, InvalidInput

MAX_SOURCE = 256 * 1024  # bytes of YAML
MAX_ERRORS = 50
Loc = tuple[int | str, ...]


def parse_scenario(text: str) -> ScenarioDef:
    """The scenario ``text`` describes; InvalidInput listing every problem when it is not
    one (field ``source`` for the document as a whole)."""
    if len(text.encode()) > MAX_SOURCE:
        raise _invalid([FieldError("source", f"larger than {MAX_SOURCE // 1024} KB")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _invalid([FieldError("source", yaml_reason(exc))]) from None
    if not isinstance(data, dict):
        raise _invalid([FieldError("source", "a scenario is a mapping (key: value lines)")])
    errors = duplicate_keys(root, "")
    try:
        definition = ScenarioDef.model_validate(data)
    except ValidationError as exc:
        raise _invalid(errors + _schema_errors(exc, root)) from None
    errors += _reference_errors(definition, root)
    if errors:
        raise _invalid(errors)
    return definition


def _invalid(errors: list[FieldError]) -> InvalidInput:
    errors = errors[:MAX_ERRORS]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    first = errors[0]
    return InvalidInput(f"invalid scenario: {first.field}: {first.reason}{more}", errors=errors)


def _at(root: yaml.Node | None, loc: Loc, reason: str) -> FieldError:
    line = line_of(root, loc)
    path = ".".join(str(p) for p in loc) or "source"
    return FieldError(path, f"{reason} (line {line})" if line else reason)


def _schema_errors(exc: ValidationError, root: yaml.Node | None) -> list[FieldError]:
    found: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors():
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        reason = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            reason = "unknown key"
        item = _at(root, loc, reason)
        if (item.field, reason) not in seen:
            seen.add((item.field, reason))
            found.append(item)
    return found


def _reference_errors(definition: ScenarioDef, root: yaml.Node | None) -> list[FieldError]:
    found: list[FieldError] = []
    roles = [r.key for r in definition.roles]
    found += _duplicates(root, "roles", "key", roles)
    inject_names = [i.name for i in definition.injects]
    found += _duplicates(root, "injects", "name", inject_names)
    found += _duplicates(root, "expectations", "name", [e.name for e in definition.expectations])
    for i, inject in enumerate(definition.injects):
        if inject.after is not None and inject.after not in inject_names[:i]:
            found.append(_at(root, ("injects", i, "after"),
                             f"no earlier inject is named {inject.after!r}"))  # fmt: skip
        if inject.to_role is not None and inject.to_role not in roles:
            found.append(_at(root, ("injects", i, "to_role"),
                             f"the scenario has no role {inject.to_role!r}"))  # fmt: skip
        if inject.kind == "alert":
            problem = payload_problem(inject.model_dump(mode="json", exclude_none=True))
            if problem:
                found.append(_at(root, ("injects", i, "payload"), problem))
    if definition.site is not None:
        zones = [z.name for z in definition.site.zones]
        for i, zone in enumerate(zones):
            if zone in zones[:i]:
                found.append(_at(root, ("site", "zones", i, "name"), f"{zone!r} is used twice"))
        for i, device in enumerate(definition.site.devices):
            if device.zone is not None and device.zone not in zones:
                found.append(_at(root, ("site", "devices", i, "zone"),
                                 f"the site has no zone {device.zone!r}"))  # fmt: skip
    for i, expectation in enumerate(definition.expectations):
        if expectation.after is not None and expectation.after not in inject_names:
            found.append(_at(root, ("expectations", i, "after"),
                             f"no inject is named {expectation.after!r}"))  # fmt: skip
    return found


def _duplicates(
    root: yaml.Node | None, list_name: str, field: str, names: list[Any]
) -> list[FieldError]:
    seen: set[Any] = set()
    found: list[FieldError] = []
    for i, name in enumerate(names):
        if name in seen:
            found.append(_at(root, (list_name, i, field), f"{name!r} is used twice"))
        seen.add(name)
    return found
