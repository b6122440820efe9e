"""Keyset pagination: ``{"items": [...], "next_cursor": ...}`` for every list."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from muster.errors import FieldError, InvalidInput

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def paginate(
    session: Session,
    query: Select[T],
    *,
    sort: InstrumentedAttribute[Any],
    tiebreak: InstrumentedAttribute[Any],
    cursor: str | None,
    limit: int,
) -> Page[T]:
    """Return one page of ``query`` ordered by (``sort``, ``tiebreak``) after ``cursor``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            "limit out of range", errors=[FieldError("limit", f"must be 1 to {MAX_LIMIT}")]
        )
    if cursor:
        after = decode_cursor(cursor)
        query = query.where(tuple_(sort, tiebreak) > tuple_(*after))
    rows = session.scalars(query.order_by(sort, tiebreak).limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor([getattr(last, sort.key), getattr(last, tiebreak.key)])
    return Page(items=items, next_cursor=next_cursor)


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != 2:
        raise InvalidInput(
            "bad cursor", errors=[FieldError("cursor", "not a cursor this API gave")]
        )
    return values
