"""The one error mapping: domain errors and request validation → problem+json (API) or
an error page (UI)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from muster.errors import FieldError, MusterError, Problem, RateLimited, Unavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class LoginRequired(Exception):
    """Raised by UI dependencies when nobody is signed in: answered with a redirect."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.as_dict(), status_code=problem.status, media_type=PROBLEM_JSON, headers=headers
    )


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/ingest/", "/v2/")) or path in (
        "/healthz",
        "/readyz",
        "/metrics",
    ):
        return False
    return "text/html" in request.headers.get("accept", "text/html")


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def _error_field(error: Any) -> str:
    """The field an error is about; a bad or missing tag of a tagged union names the tag."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        tag = str(error.get("ctx", {}).get("discriminator", "")).strip("'")
        loc = (*loc, tag) if tag else loc
    return _field_path(loc)


def validation_problem(exc: RequestValidationError) -> Problem:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        reason = next(
            str(e.get("ctx", {}).get("error", ""))
            for e in errors
            if e.get("type") == "json_invalid"
        )
        return Problem(
            400,
            "Malformed JSON",
            f"the request body is not valid JSON: {reason}",
            [FieldError("body", "not valid JSON")],
        )
    fields = [FieldError(_error_field(e), str(e.get("msg", "invalid"))) for e in errors]
    names = ", ".join(f.field for f in fields)
    return Problem(422, "Invalid input", f"invalid fields: {names}", fields)


def install_error_handlers(app: FastAPI, render_error: Any) -> None:
    """``render_error(request, status, title, detail)`` draws the UI's error page."""

    def respond(
        request: Request, problem: Problem, headers: Mapping[str, str] | None = None
    ) -> Response:
        if wants_html(request):
            response: Response = render_error(
                request, problem.status, problem.title, problem.detail
            )
            if headers:
                response.headers.update(headers)
            return response
        return problem_response(problem, headers)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    @app.exception_handler(MusterError)
    async def _domain(request: Request, exc: MusterError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return respond(request, Problem(exc.status, exc.title, exc.detail, exc.errors), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return respond(request, validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        return respond(request, Problem(exc.status_code, title, detail), exc.headers)

    @app.exception_handler(DataError)
    async def _bad_data(request: Request, exc: DataError) -> Response:
        # PostgreSQL refuses a value SQLite takes (a NUL character in text, a number out
        # of range): the caller's input, refused before anything was committed.
        log.info("database refused a value: %s", exc.orig)
        nul = "NUL" in str(exc.orig)
        detail = "text must not contain NUL characters" if nul else "a value is out of range"
        return respond(
            request, Problem(400, "Invalid input", detail, [FieldError("input", detail)])
        )

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> Response:
        log.warning("database unavailable: %s", exc.orig)
        err = Unavailable("the database is unavailable; retry shortly")
        return respond(request, Problem(err.status, err.title, err.detail), {"Retry-After": "5"})
