"""A bundled page's idempotency key (muster.domain.notify.compose.message_key): the same
bundle sent again keeps its key, so a receiver drops the copy; a bundle re-formed with
more pages after its lease ran out gets a new key, so it is never dropped as a copy of
the smaller one (a page lost that way would page nobody)."""

from __future__ import annotations

from muster.domain.notify.compose import message_key
from muster.domain.notify.models import OutboxMessage


def _row(key: str) -> OutboxMessage:
    return OutboxMessage(idempotency_key=key)


def test_one_row_keeps_its_own_key() -> None:
    assert message_key([_row("mst-a")]) == "mst-a"


def test_the_same_bundle_has_the_same_key_whichever_row_carries_it() -> None:
    a, b, c = _row("mst-a"), _row("mst-b"), _row("mst-c")
    assert message_key([a, b, c]) == message_key([c, a, b])
    assert message_key([a, b]).startswith("mst-")


def test_a_bundle_with_more_pages_is_a_new_message() -> None:
    a, b, c = _row("mst-a"), _row("mst-b"), _row("mst-c")
    keys = {message_key([a]), message_key([a, b]), message_key([a, b, c])}
    assert len(keys) == 3
