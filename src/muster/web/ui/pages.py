"""Every UI router, in the order the app mounts them."""

from __future__ import annotations

from fastapi import APIRouter

from muster.web.ui import (
    act,
    alerts,
    audit,
    auth_pages,
    escalation,
    home,
    integrations,
    notify,
    profile,
    routing,
    schedule_changes,
    schedule_layers,
    schedules,
    service_page,
    services,
    teams,
    users,
)

ROUTERS: list[APIRouter] = [
    auth_pages.router,
    home.router,
    alerts.router,
    users.router,
    teams.router,
    services.router,
    service_page.router,
    integrations.router,
    routing.router,
    escalation.router,
    schedules.router,
    schedule_layers.router,
    schedule_changes.router,
    profile.router,
    notify.router,
    act.router,
    audit.router,
]
