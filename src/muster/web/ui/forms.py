"""Turning form posts into domain input, and domain errors back into form messages."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from muster.errors import FieldError, InvalidInput

M = TypeVar("M", bound=BaseModel)


def parse_form(model: type[M], data: dict[str, Any]) -> M:
    """Validate ``data`` as ``model``; blank optional fields count as absent."""
    cleaned = {k: v for k, v in data.items() if k != "csrf_token"}
    try:
        return model.model_validate(cleaned)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "form", str(e["msg"]))
            for e in exc.errors()
        ]
        raise InvalidInput("please correct the marked fields", errors=errors) from None


def field_errors(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: e.reason for e in errors}
