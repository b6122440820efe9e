"""Reading before/after values out of an event's data, whatever shape its command used.

Commands record ``changes: {field: [before, after]}`` (see :mod:`.changes`); older
commands recorded ``{field: {"from": before, "to": after}}``, at the top of the data or
under ``changes``, or whole ``before``/``after`` snapshots. Both read as ``{field: [before, after]}``; a change recorded without
its old value (``"password": "changed"``, a flag) reads as ``[None, value]``.
"""

from __future__ import annotations

from typing import Any


def _pair(value: Any) -> list[Any] | None:
    if isinstance(value, list) and len(value) == 2:
        return value
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        return [value["from"], value["to"]]
    return None


def changes_of(data: dict[str, Any]) -> dict[str, list[Any]] | None:
    """``{field: [before, after]}`` an event's data records, or None if it records none."""
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) and isinstance(after, dict):  # whole snapshots (routing rules)
        fields = list(dict.fromkeys([*before, *after]))
        return {
            f: [before.get(f), after.get(f)] for f in fields if before.get(f) != after.get(f)
        } or None
    nested = data.get("changes")
    if isinstance(nested, dict):
        found = {str(k): _pair(v) or [None, v] for k, v in nested.items()}
        return found or None
    pairs = {k: p for k, v in data.items() if (p := _pair(v)) is not None and isinstance(v, dict)}
    return pairs or None
