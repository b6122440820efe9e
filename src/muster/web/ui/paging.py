"""Paged lists in the UI: one page size, and URLs that keep a list's filters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from muster.db.pagination import Page

PAGE_SIZE = 100


def list_url(base: str, **params: str | bool | None) -> str:
    """``base`` with the given query parameters, leaving out empty ones (True is "1")."""
    pairs = {k: "1" if v is True else v for k, v in params.items() if v}
    return f"{base}?{urlencode(pairs)}" if pairs else base


def page_links(
    base: str, page: Page[Any], cursor: str | None, **filters: str | bool | None
) -> dict[str, Any]:
    """The pager's links (``next_url``, ``first_url``) for ``page`` of the list at ``base``
    with ``filters``: the next page when there is one, the first when this is not it."""
    return {
        "next_url": page.next_cursor and list_url(base, **filters, cursor=page.next_cursor),
        "first_url": cursor and list_url(base, **filters),
    }
