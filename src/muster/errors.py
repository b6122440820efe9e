"""The domain error hierarchy. The web layer maps each class to one HTTP status and a
problem+json body; the CLI maps each to an exit code. Raise these, never HTTP errors,
from domain code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


class MusterError(Exception):
    """Base of every error Muster raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors: list[FieldError] = errors or []


class InvalidInput(MusterError):
    """The input is well-formed but breaks a rule; ``errors`` names the fields."""

    status = 422
    title = "Invalid input"


class NotFound(MusterError):
    status = 404
    title = "Not found"


class NotAuthenticated(MusterError):
    status = 401
    title = "Not authenticated"


class PermissionDenied(MusterError):
    status = 403
    title = "Forbidden"


class Conflict(MusterError):
    """The request clashes with the current state (a duplicate name, a stale edit)."""

    status = 409
    title = "Conflict"


class TooLarge(MusterError):
    status = 413
    title = "Payload too large"


class RateLimited(MusterError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(MusterError):
    """A transient failure (database down, overload): the caller should retry."""

    status = 503
    title = "Service unavailable"


@dataclass
class Problem:
    """An RFC 9457 problem document."""

    status: int
    title: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = [{"field": e.field, "reason": e.reason} for e in self.errors]
        return body
