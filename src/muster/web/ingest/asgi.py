"""Serving the ingest endpoints lean: a plain ASGI layer in front of the application.

Intake is the hottest path of the web process (thousands of requests a second), and the
framework's per-request work - matching against every route of the UI and API, dependency
injection, request and response objects - costs more than parsing the alert. So POSTs to
the ingest paths go straight from this layer to their endpoint in
:mod:`muster.web.ingest.routes`; everything else passes on to the application. It sits
inside the shared middleware (request metrics, security headers, body limit), so ingest
responses carry the same headers and are counted the same way as any other.

:func:`mount_ingest` installs it and adds the endpoints to the OpenAPI description.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from muster.errors import Problem
from muster.web.ingest.routes import JSON, ROUTES, Reply, Route
from muster.web.ingest.writer import IngestWriter
from muster.web.problems import PROBLEM_JSON


class _Matched:
    """What the metrics middleware reads from ``scope["route"]``: the path template."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.path = route.path
        self.path_regex = re.compile("^" + route.path.replace("{key}", "[^/]+") + "$")


_EXACT = {r.path: _Matched(r) for r in ROUTES if "{key}" not in r.path}
_KEYED = {r.path.removesuffix("{key}"): _Matched(r) for r in ROUTES if "{key}" in r.path}


def _match(path: str) -> tuple[_Matched, str] | None:
    """The route for ``path`` and the key it carries ("" if none)."""
    exact = _EXACT.get(path)
    if exact is not None:
        return exact, ""
    prefix, _, key = path.rpartition("/")
    keyed = _KEYED.get(prefix + "/")
    if keyed is not None and key:
        return keyed, key
    return None


class IngestDispatch:
    """ASGI middleware: ingest requests to their endpoint, the rest to ``app``."""

    def __init__(self, app: ASGIApp, writer: IngestWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = _match(scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        matched, key = found
        scope["route"] = matched
        if scope["method"] != "POST":
            problem = Problem(405, "Method not allowed", "Method Not Allowed")
            await _send(send, Reply(405, problem.as_dict(), {"Allow": "POST"}, PROBLEM_JSON))
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        await _send(send, await matched.route.endpoint(self.writer, key, body))


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _send(send: Send, reply: Reply) -> None:
    body = orjson.dumps(reply.body)
    headers = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", reply.media_type.encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mount_ingest(app: FastAPI, writer: IngestWriter) -> None:
    """Serve the ingest endpoints in front of ``app`` (call before adding the shared
    middleware, which must wrap this) and describe them in its OpenAPI document."""
    app.add_middleware(IngestDispatch, writer=writer)
    describe = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = describe()
            schema.setdefault("paths", {}).update(
                {route.path: {"post": _operation(route)} for route in ROUTES}
            )
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _operation(route: Route) -> dict[str, Any]:
    # PagerDuty's endpoints answer errors in PagerDuty's format, the others problem+json.
    problem = {
        JSON if route.path.startswith("/v2/") else PROBLEM_JSON: {"schema": {"type": "object"}}
    }
    operation: dict[str, Any] = {
        "tags": ["ingest"], "summary": route.summary, "operationId": route.operation_id,
        "requestBody": {"required": "heartbeat" not in route.path,
                        "content": {JSON: {"schema": {"type": "object"}}}},
        "responses": {
            "202": {"description": "Stored (answered only after commit)",
                    "content": {JSON: {"schema": {"type": "object"}}}},
            "400": {"description": "Malformed or invalid", "content": problem},
            "404": {"description": "No live integration has this key", "content": problem},
            "413": {"description": "Body too large", "content": problem},
            "429": {"description": "Over the integration's rate limit", "content": problem},
            "503": {"description": "Overloaded or database unavailable; retry", "content": problem},
        },
    }  # fmt: skip
    if "{key}" in route.path:
        operation["parameters"] = [{"name": "key", "in": "path", "required": True,
                                    "schema": {"type": "string", "title": "Key"}}]  # fmt: skip
    return operation
