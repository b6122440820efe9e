"""Security headers on every page: each browser page the route table has (and the API
docs, the sign-in page, the public status page, error pages and static files) carries a
Content-Security-Policy that forbids framing and inline script, nosniff and a
Referrer-Policy; and no page ships inline script that such a policy would have to allow."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from security_routes import endpoints
from world import build_world, once_is_enough

from muster.db.uow import Database

STREAMS = {"GET /live"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def directives(policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = words[1:]
    return found


def header_problems(url: str, response: object) -> list[str]:
    headers = response.headers  # type: ignore[attr-defined]
    problems = []
    policy = directives(headers.get("content-security-policy", ""))
    if policy.get("frame-ancestors") not in (["'none'"], ["'self'"]):
        problems.append("CSP frame-ancestors is not 'none'/'self'")
    script = policy.get("script-src", policy.get("default-src"))
    if not script:
        problems.append("CSP sets no script-src or default-src")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(script):
        problems.append(f"CSP script-src allows {script}")
    if policy.get("object-src", policy.get("default-src")) is None:
        problems.append("CSP leaves plugins (object-src) open")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if headers.get("referrer-policy") not in ("same-origin", "no-referrer", "strict-origin"):
        problems.append(f"Referrer-Policy is {headers.get('referrer-policy')!r}")
    return [f"{url} ({response.status_code}): {p}" for p in problems]  # type: ignore[attr-defined]


def html_problems(url: str, html: str) -> list[str]:
    checks = [(INLINE_SCRIPT, "inline <script>"), (EVENT_HANDLER, "inline on* handler"),
              (JS_URL, "javascript: URL")]  # fmt: skip
    return [f"{url}: {what}" for pattern, what in checks if pattern.search(html)]


def test_every_page_carries_the_security_headers(client: TestClient, db: Database) -> None:
    once_is_enough(db)
    world = build_world(client, db)
    admin = world.people["admin"].auth
    pages = [
        e.url(world.ids)
        for e in endpoints(client.app)  # type: ignore[arg-type]
        if e.kind == "ui" and e.method == "GET" and e.key not in STREAMS
    ]
    assert len(pages) > 60
    extra = ["/api/v1/docs", "/api/v1/openapi.json", "/static/muster.css", "/no-such-page",
             f"/incidents/{'0' * 26}"]  # fmt: skip
    problems: list[str] = []
    for url in [*pages, *extra]:
        response = client.get(url, headers=admin, follow_redirects=False)
        assert response.status_code < 500, (url, response.status_code)
        problems += header_problems(url, response)
        if response.headers.get("content-type", "").startswith("text/html"):
            problems += html_problems(url, response.text)
    # Signed out: the sign-in page, the public status page and the redirect to sign in.
    for url in ["/login", "/status", "/status.json", "/status/feed.atom", "/incidents"]:
        response = client.get(url, follow_redirects=False)
        problems += header_problems(url, response)
        if response.headers.get("content-type", "").startswith("text/html"):
            problems += html_problems(url, response.text)
    assert not problems, "\n".join(problems)


def test_api_answers_and_ingest_replies_carry_them_too(client: TestClient, db: Database) -> None:
    world = build_world(client, db)
    responses = {
        "/api/v1/teams": client.get("/api/v1/teams", headers=world.people["viewer"].auth),
        "/api/v1/teams (401)": client.get("/api/v1/teams"),
        "/v2/enqueue": client.post("/v2/enqueue", content=b"{}"),
        "/ingest/grafana/nope": client.post("/ingest/grafana/nope", content=b"{}"),
    }
    problems = [p for url, r in responses.items() for p in header_problems(url, r)]
    assert not problems, "\n".join(problems)
