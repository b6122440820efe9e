"""Kinds whose objects are versioned YAML documents of their own (playbooks, drill
scenarios): each file is the document itself, with the keys its editor and its
``apply`` command take, compared as data (comments and layout are not kept).

The schema is the domain's own document model, so a schema error names its line; the
domain's parser then checks what lies beyond the schema (templates, conditions, names
referring to each other) and its problems are reported at their fields too. What is
compared, exported and saved is the document as written, not the model's full dump.
"""

from __future__ import annotations

import re
from typing import Any, Self

import yaml
from pydantic import (
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, to_jsonable_python

from muster.domain.config_code.documents import dump
from muster.domain.config_code.kind import FileSchema
from muster.errors import FieldError, InvalidInput

_LINE = re.compile(r"\s*\(line \d+\)$")  # the domain parser's own line: not the file's


class SourceDoc(FileSchema):
    """Base of a document kind: subclass it together with the domain's document model
    and give :meth:`check_source`."""

    _raw: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def check_source(cls, source: str) -> None:
        """Raise the domain parser's InvalidInput when ``source`` is not usable."""

    @model_validator(mode="wrap")
    @classmethod
    def _as_written(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        model._raw = to_jsonable_python(data)
        try:
            cls.check_source(dump(model._raw))
        except InvalidInput as exc:
            errors = exc.errors or [FieldError("source", exc.detail)]
            raise ValidationError.from_exception_data(
                cls.__name__, [_detail(e, data) for e in errors]
            ) from None
        return model

    @model_serializer(mode="plain")
    def _written(self) -> dict[str, Any]:
        return self._raw

    @property
    def source(self) -> str:
        """The YAML saved as the object's next version."""
        return dump(self._raw)


def _detail(error: FieldError, data: Any) -> InitErrorDetails:
    loc = tuple(int(p) if p.isdigit() else p for p in error.field.split(".") if p and p != "source")
    reason = _LINE.sub("", error.reason)
    return InitErrorDetails(
        type=PydanticCustomError("unusable", "{reason}", {"reason": reason}), loc=loc, input=data
    )


def stored(source: str) -> dict[str, Any]:
    """A saved version's YAML as the data a file holds."""
    data = yaml.safe_load(source)
    return to_jsonable_python(data) if isinstance(data, dict) else {}
