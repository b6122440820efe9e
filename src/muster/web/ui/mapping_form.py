"""The generic JSON mapping as a form: one box per alert field (alternatives one per
line), the maps as ``word = value`` lines, and each error placed on the box it is about."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from muster.errors import FieldError, InvalidInput
from muster.integrations.generic_mapping import FIELD_NAMES, INVALID_MAPPING, GenericMapping

# (name, label, hint) of each mapped field, in the order the editor shows them.
MAPPING_FIELDS: list[tuple[str, str, str]] = [
    ("summary", "Summary", "required"),
    ("severity", "Severity", "its text goes through the severity map"),
    ("dedup_key", "Dedup key", "the same key updates the same open alert"),
    ("action", "Action", "trigger, acknowledge or resolve; its text goes through the status map"),
    ("details", "Details", ""),
    ("source", "Source", ""),
    ("component", "Component", ""),
    ("group", "Group", ""),
    ("class", "Class", ""),
    ("timestamp", "Timestamp", "ISO 8601 text or Unix time"),
    ("links", "Links", "URLs, or objects with href and text"),
]
assert {name for name, _, _ in MAPPING_FIELDS} == set(FIELD_NAMES)
MAP_NAMES = ("status_map", "severity_map")
FORM_NAMES = {*FIELD_NAMES, *MAP_NAMES, "items", "default_action", "default_severity", "sample"}
_ROOT = re.compile(r"[A-Za-z_]+")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def form_to_mapping(fields: Mapping[str, str]) -> dict[str, Any]:
    """The mapping as stored JSON, from the editor's fields (not yet validated, except
    the ``word = value`` lines)."""
    mapping: dict[str, Any] = {}
    for name in FIELD_NAMES:
        lines = _lines(fields.get(name, ""))
        if lines:
            mapping[name] = lines[0] if len(lines) == 1 else lines
    items = fields.get("items", "").strip()
    if items:
        mapping["items"] = items
    problems: list[FieldError] = []
    for name in MAP_NAMES:
        pairs: dict[str, str] = {}
        for number, line in enumerate(_lines(fields.get(name, "")), start=1):
            word, sep, target = line.partition("=")
            if not sep or not word.strip() or not target.strip():
                problems.append(FieldError(name, f"line {number}: write it as word = value"))
                continue
            pairs[word.strip()] = target.strip()
        mapping[name] = pairs
    mapping["default_action"] = fields.get("default_action") or "trigger"
    mapping["default_severity"] = fields.get("default_severity") or "warning"
    if problems:
        raise InvalidInput(INVALID_MAPPING, errors=problems)
    return mapping


def mapping_to_form(stored: object) -> dict[str, str]:
    """The editor's field values for a stored mapping (as stored, if it is invalid)."""
    try:
        mapping: Mapping[str, Any] = GenericMapping.from_dict(stored).to_dict()
    except InvalidInput:
        mapping = stored if isinstance(stored, dict) else {}
    values: dict[str, str] = {}
    for name in FIELD_NAMES:
        spec = mapping.get(name)
        if isinstance(spec, str):
            values[name] = spec
        elif isinstance(spec, list):
            values[name] = "\n".join(str(s) for s in spec)
    if isinstance(mapping.get("items"), str):
        values["items"] = mapping["items"]
    for name in MAP_NAMES:
        pairs = mapping.get(name)
        if isinstance(pairs, Mapping):
            values[name] = "\n".join(f"{k} = {v}" for k, v in pairs.items())
    values["default_action"] = str(mapping.get("default_action", "trigger"))
    values["default_severity"] = str(mapping.get("default_severity", "warning"))
    return values


def mapping_errors(errors: Iterable[FieldError]) -> dict[str, str]:
    """Each error on the form field it is about: ``summary[1]`` → ``summary``
    ("summary[1]: ..."), ``status_map.ok`` → ``status_map``."""
    out: dict[str, str] = {}
    for error in errors:
        match = _ROOT.match(error.field)
        root = match.group(0) if match else error.field
        root = {"status": "action", "body": "sample"}.get(root, root)
        reason = error.reason.removeprefix("Value error, ")
        if error.field not in (root, "body") and root in FORM_NAMES:
            reason = f"{error.field}: {reason}"
        out[root] = f"{out[root]}; {reason}" if root in out else reason
    return out
