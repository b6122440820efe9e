"""Before/after values for configuration changes: ``changes: {field: [before, after]}``.

Commands that update configuration record what each changed field was and became, so
the audit view can show it (secrets are never passed here: record that they changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Keys whose values are secrets: recorded as "(secret)", never as they are.
SECRET_WORDS = ("password", "secret", "token", "key", "credential", "auth")


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for each field of ``after`` whose value differs."""
    return {
        field: [_plain(before.get(field)), _plain(value)]
        for field, value in after.items()
        if _plain(before.get(field)) != _plain(value)
    }


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` of ``obj``, copied (for a diff after changing it)."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def apply(obj: object, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj``; returns ``{field: [before, after]}`` of those that changed."""
    changes = diff(snapshot(obj, values), values)
    for field in changes:
        setattr(obj, field, values[field])
    return changes


def redacted(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` (an integration's, say) with the values of secret-looking keys hidden,
    at any depth, so before/after values can be recorded without leaking them."""
    out: dict[str, Any] = {}
    for k, v in config.items():
        if any(word in str(k).lower() for word in SECRET_WORDS) and v not in (None, ""):
            out[str(k)] = "(secret)"
        elif isinstance(v, Mapping):
            out[str(k)] = redacted(v)
        else:
            out[str(k)] = _plain(v)
    return out
