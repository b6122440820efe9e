"""The application's route table, flattened: every method and path the app answers, so
the security tests walk all of them and a new route cannot slip past."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, Route

from muster.web.ingest.routes import ROUTES as INGEST_ROUTES

PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")
MISSING = "0000000000missing"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the template, e.g. /api/v1/teams/{team_id}
    kind: str  # "api", "ui", "ingest" or "mount"

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def changes_state(self) -> bool:
        return self.method not in ("GET", "HEAD", "OPTIONS")

    def url(self, ids: Mapping[str, str] | None = None) -> str:
        """The path with each parameter from ``ids``, else a well-formed missing id."""
        found = ids or {}
        return PARAM.sub(lambda m: found.get(m.group(1), MISSING), self.path)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) of ``app``: its routes, mounts and the ingest endpoints."""
    found: list[Endpoint] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = str(context.path)
        if isinstance(route, APIRoute):
            kind = "api" if path.startswith("/api/") else "ui"
            found += [Endpoint(m, path, kind) for m in sorted(context.methods or ())]
        elif isinstance(route, Mount):
            found.append(Endpoint("GET", f"{path}/{{file_path}}", "mount"))
        elif isinstance(route, Route):
            methods = sorted(set(route.methods or ()) - {"HEAD"})
            found += [Endpoint(m, path, "api") for m in methods]
    found += [Endpoint("POST", r.path, "ingest") for r in INGEST_ROUTES]
    return found


def ui_endpoints(app: FastAPI) -> list[Endpoint]:
    return [e for e in endpoints(app) if e.kind == "ui"]
