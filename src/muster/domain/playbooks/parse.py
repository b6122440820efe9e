"""Reading a playbook's YAML into a validated :class:`PlaybookDef`.

Every problem is reported at once, each with its field path (``steps.2.tasks.0.title``)
and the YAML line it comes from, so an editor can point at it. Beyond the schema, the
conditions must be usable (patterns compile, zones exist, times are HH:MM) and the
templates must parse.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import ValidationError

from muster.domain.playbooks.conditions import condition_problems
from muster.domain.playbooks.schemas import Condition, PlaybookDef
from muster.domain.playbooks.templating import check_syntax
from muster.domain.yaml_source import child_of, duplicate_keys, line_of, yaml_reason
from muster.errors import FieldError, InvalidInput

MAX_SOURCE = 256 * 1024  # bytes of YAML
MAX_ERRORS = 50
_ON_HINT = "write `event:`, not `on:` (YAML reads a bare `on` as true)"
_NOT_TEMPLATES = frozenset({"name", "kind", "when", "until", "capture", "method"})


def parse_source(text: str) -> PlaybookDef:
    """The playbook ``text`` describes; InvalidInput listing every problem when it is not
    one (field ``source`` for the document as a whole)."""
    if len(text.encode()) > MAX_SOURCE:
        raise _invalid([FieldError("source", f"larger than {MAX_SOURCE // 1024} KB")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _invalid([FieldError("source", yaml_reason(exc))]) from None
    if not isinstance(data, dict):
        raise _invalid([FieldError("source", "a playbook is a mapping (key: value lines)")])
    errors = duplicate_keys(root, "")
    bare_on = _bare_on(data)
    errors += [FieldError(f"triggers.{i}", _ON_HINT) for i in bare_on]
    try:
        definition = PlaybookDef.model_validate(data)
    except ValidationError as exc:
        schema = _schema_errors(exc, root)
        schema = [e for e in schema if not any(_under(e.field, f"triggers.{i}") for i in bare_on)]
        raise _invalid(errors + schema) from None
    if errors:
        raise _invalid(errors)
    errors += _usability_errors(definition, root)
    if errors:
        raise _invalid(errors)
    return definition


def _bare_on(data: dict[Any, Any]) -> list[int]:
    """Triggers written with ``on:``, which YAML 1.1 reads as the key ``true``."""
    triggers = data.get("triggers")
    if not isinstance(triggers, list):
        return []
    return [i for i, t in enumerate(triggers) if isinstance(t, dict) and True in t]


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _invalid(errors: list[FieldError]) -> InvalidInput:
    errors = errors[:MAX_ERRORS]
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidInput(f"invalid playbook: {first.field}: {first.reason}{more}", errors=errors)


# ---- where in the YAML ----------------------------------------------------------------


def _path(loc: tuple[int | str, ...], root: yaml.Node | None) -> str:
    """pydantic's location as a dotted path of the document (union tags dropped)."""
    parts: list[str] = []
    node = root
    for part in loc:
        child = child_of(node, part) if node is not None else None
        if child is None and isinstance(part, str) and _is_tag(part):
            continue
        parts.append(str(part))
        node = child
    return ".".join(parts) or "source"


def _is_tag(part: str) -> bool:
    return part in {
        "tasks", "assign_role", "page", "add_participant", "notify", "post_update",
        "set_field", "apply_regime", "wait", "approval", "action",
    } or part.startswith(("function-", "list[", "dict["))  # fmt: skip


def _schema_errors(exc: ValidationError, root: yaml.Node | None) -> list[FieldError]:
    found: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors():
        loc = tuple(error["loc"])
        path = _path(loc, root)
        reason = _reason(error)
        if (path, reason) in seen:
            continue
        seen.add((path, reason))
        line = line_of(root, loc)
        found.append(FieldError(path, f"{reason} (line {line})" if line else reason))
    return found


def _reason(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown key"
    return message


# ---- beyond the schema ----------------------------------------------------------------


def _conditions(definition: PlaybookDef) -> Iterator[tuple[tuple[int | str, ...], Condition]]:
    if definition.conditions is not None:
        yield ("conditions",), definition.conditions
    for i, trigger in enumerate(definition.triggers):
        if trigger.condition is not None:
            yield ("triggers", i, "condition"), trigger.condition
    for i, step in enumerate(definition.steps):
        if step.when is not None:
            yield ("steps", i, "when"), step.when
        until = getattr(step, "until", None)
        if isinstance(until, Condition):
            yield ("steps", i, "until"), until


def _strings(value: Any, loc: tuple[int | str, ...]) -> Iterator[tuple[tuple[int | str, ...], str]]:
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_TEMPLATES:
                yield from _strings(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*loc, i))


def _usability_errors(definition: PlaybookDef, root: yaml.Node | None) -> list[FieldError]:
    found: list[FieldError] = []
    for loc, condition in _conditions(definition):
        for sub, reason in condition_problems(condition):
            full = (*loc, *(int(p) if p.isdigit() else p for p in sub.split(".") if p))
            if sub == "condition":
                full = loc
            line = line_of(root, full)
            found.append(FieldError(".".join(map(str, full)), f"{reason} (line {line})"))
    for i, step in enumerate(definition.steps):
        dumped = step.model_dump(mode="json", by_alias=True)
        for loc, text in _strings(dumped, ("steps", i)):
            problem = check_syntax(text)
            if problem:
                where = f"(line {line_of(root, loc)})"
                found.append(FieldError(".".join(map(str, loc)), f"template: {problem} {where}"))
    return found
