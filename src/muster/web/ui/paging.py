"""Paged lists in the UI: one page size, and URLs that keep a list's filters."""

from __future__ import annotations

from urllib.parse import urlencode

PAGE_SIZE = 100


def list_url(base: str, **params: str | bool | None) -> str:
    """``base`` with the given query parameters, leaving out empty ones (True is "1")."""
    pairs = {k: "1" if v is True else v for k, v in params.items() if v}
    return f"{base}?{urlencode(pairs)}" if pairs else base
