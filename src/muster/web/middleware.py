"""ASGI middleware: body size limit, request metrics, security headers."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from muster.metrics import HTTP_LATENCY, HTTP_REQUESTS

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
]


class BodyLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether declared or streamed; file
    uploads (paths matching ``upload_paths``) may carry up to ``upload_bytes``, and
    evidence uploads (``evidence_paths``, streamed to storage) up to ``evidence_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_paths: re.Pattern[str] | None = None,
        upload_bytes: int = 0,
        evidence_paths: re.Pattern[str] | None = None,
        evidence_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_paths = upload_paths
        self.upload_bytes = upload_bytes
        self.evidence_paths = evidence_paths
        self.evidence_bytes = evidence_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if self.upload_paths is not None and self.upload_paths.fullmatch(scope["path"]):
            limit = max(limit, self.upload_bytes)
        if self.evidence_paths is not None and self.evidence_paths.fullmatch(scope["path"]):
            limit = max(limit, self.evidence_bytes)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(send, limit)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body is larger than {limit} bytes",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class MetricsAndHeaders:
    """Counts requests by route template and adds security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                route = _route_template(scope)
                HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
                HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - start)

        async def wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": _with_security_headers(scope, message)}
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record()  # before the last byte leaves, so a follow-up request sees it
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            record()


def _with_security_headers(scope: Scope, message: Message) -> list[tuple[bytes, bytes]]:
    headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
    present = {k.lower() for k, _ in headers}
    for name, value in SECURITY_HEADERS:
        if name not in present:  # the API docs (Swagger UI) need no exception: all 'self'
            headers.append((name, value))
    return headers


def _route_template(scope: Scope) -> str:
    """The matched route's full path template, so ids do not explode the label set.

    The router records the matched route; a route of an included router knows only its
    own part of the path, so the request path's prefix before that part is kept.
    """
    route: Any = scope.get("route")
    template = getattr(route, "path", None)
    regex = getattr(route, "path_regex", None)
    if not template or regex is None:
        return "unmatched"
    path: str = scope.get("path", "")
    for index, char in enumerate(path):
        if char == "/" and regex.match(path[index:]):
            return path[:index] + str(template)
    return str(template)
