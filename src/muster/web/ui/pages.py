"""Every UI router, in the order the app mounts them."""

from __future__ import annotations

from fastapi import APIRouter

from muster.web.ui import audit, auth_pages, home, profile, services, teams, users

ROUTERS: list[APIRouter] = [
    auth_pages.router,
    home.router,
    users.router,
    teams.router,
    services.router,
    profile.router,
    audit.router,
]
