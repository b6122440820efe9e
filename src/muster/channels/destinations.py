"""Checking a destination URL against the outbound policy when it is saved, so an admin
hears at once that Muster will refuse to reach it (each send checks again)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from muster.channels import outbound_policy
from muster.channels.http import Policy, Refused, Unreachable, vet
from muster.config import Settings


def refusal(url: str, policy: Policy) -> str | None:
    """Why ``url`` may not be reached under ``policy``, or None.

    A host that does not resolve now passes: it may tomorrow, and each send checks again.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "the port is not a number from 1 to 65535"
    try:
        vet(parts.hostname, port, policy)
    except Refused as exc:
        return str(exc)
    except Unreachable:
        return None
    return None


def url_refusal(settings: Settings) -> Callable[[str], str | None]:
    """:func:`refusal` under the installation's outbound policy."""
    policy = outbound_policy(settings)
    return lambda url: refusal(url, policy)
