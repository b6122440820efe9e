"""Hosts and accounts named by security tools' own field names (pure), read beside
:func:`muster.domain.investigation.extract.extract_payload`, which knows only plain
``host`` / ``user`` keys: Wazuh ``agent.name`` / ``data.srcuser``, Elastic Common Schema
``host.name`` / ``user.name``, CEF ``shost`` / ``suser``, Falco ``user.name`` ..."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from muster.domain.investigation.extract import Found
from muster.domain.investigation.kinds import normalise

# Dotted key endings (lower case) and the kind of value under them.
HOST_PATHS: Final = ("agent.name", "host.name", "host.hostname", "shost", "dhost", "dvchost",
                     "src_host", "dest_host", "computer", "hostname")  # fmt: skip
USER_PATHS: Final = ("srcuser", "dstuser", "user.name", "user.loginuid_name", "suser", "duser",
                     "src_user", "dest_user", "username", "user_name", "target_user",
                     "account_name")  # fmt: skip
MAX_DEPTH: Final = 8
MAX_FOUND: Final = 50


def _paths(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _paths(v, f"{path}.{str(k).lower()}" if path else str(k).lower(), depth + 1)


def _kind(path: str) -> str | None:
    for kind, endings in (("hostname", HOST_PATHS), ("user-account", USER_PATHS)):
        if any(path == e or path.endswith("." + e) for e in endings):
            return kind
    return None


def security_fields(*values: Mapping[str, Any]) -> list[Found]:
    """Host names and accounts under the security tools' field names in ``values``
    (labels, custom details), normalised; each once."""
    found: dict[tuple[str, str], None] = {}
    for value in values:
        for path, text in _paths(value, "", 0):
            kind = _kind(path)
            if kind is None or len(found) >= MAX_FOUND:
                continue
            try:
                found.setdefault((kind, normalise(kind, text)), None)
            except ValueError:
                continue
    return [Found(kind, value) for kind, value in found]
