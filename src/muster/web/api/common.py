"""Shapes shared by every API router."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class ListOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Malformed request (problem+json)"},
    401: {"description": "Not authenticated (problem+json)"},
    403: {"description": "Not allowed for your role (problem+json)"},
    404: {"description": "Not found (problem+json)"},
    409: {"description": "Conflicts with current state (problem+json)"},
    413: {"description": "Body too large (problem+json)"},
    422: {"description": "Invalid fields (problem+json)"},
}
