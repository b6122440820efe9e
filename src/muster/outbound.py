"""Endpoints an administrator configured for Muster's own use (an S3-compatible evidence
store on a private network), which the outbound guard of user-supplied destinations
(:mod:`muster.channels.http`) must not refuse.

The guard of urllib3 is process-wide (Apprise and boto3 both connect through urllib3), so
this registry is too. Only configuration adds to it, never a request's input.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

_lock = threading.Lock()
_trusted: set[tuple[str, int]] = set()


def trust_endpoint(url: str) -> None:
    """Let connections to ``url``'s host and port through the outbound guard."""
    parts = urlsplit(url)
    if not parts.hostname:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with _lock:
        _trusted.add((parts.hostname.lower(), port))


def is_trusted(host: str, port: int) -> bool:
    with _lock:
        return (host.strip("[]").lower(), port) in _trusted
