"""Validating loose input (form fields, CLI options) into a domain schema."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from muster.errors import FieldError, InvalidInput

M = TypeVar("M", bound=BaseModel)


def parse_input(model: type[M], data: dict[str, Any]) -> M:
    """Validate ``data`` as ``model``; on failure raise :class:`InvalidInput` naming
    each field and its reason."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "input", str(e["msg"]))
            for e in exc.errors()
        ]
        raise InvalidInput("please correct the marked fields", errors=errors) from None
