"""The Paging section of a service's page: which escalation policy pages for it, which
severities are low urgency, and its support hours; the form's values and its input
(the route is in :mod:`.service_page`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import SEVERITY_RANK
from muster.domain.catalog.models import Service
from muster.domain.escalation import service as policies
from muster.web.ui.forms import FormState, blank_form

PREFIX = "p"
SEVERITIES = sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__, reverse=True)
WEEKDAYS = [("0", "Mon"), ("1", "Tue"), ("2", "Wed"), ("3", "Thu"), ("4", "Fri"),
            ("5", "Sat"), ("6", "Sun")]  # fmt: skip
RENAMES = {
    "urgency_rules.low_severities": "low_severities",
    "urgency_rules.support_hours.zone": "zone",
    "urgency_rules.support_hours.days": "days",
    "urgency_rules.support_hours.start": "start",
    "urgency_rules.support_hours.end": "end",
    "urgency_rules.support_hours": "end",
}


def paging_values(service: Service) -> FormState:
    """The form filled in from the service's settings (lists as comma-separated text)."""
    rules = service.urgency_rules or {}
    hours = rules.get("support_hours") or {}
    return blank_form(
        PREFIX,
        escalation_policy_id=service.escalation_policy_id or "",
        low_severities=",".join(rules.get("low_severities") or []),
        zone=str(hours.get("zone", "")),
        days=",".join(str(d) for d in hours.get("days", [0, 1, 2, 3, 4])),
        start=str(hours.get("start", "09:00")),
        end=str(hours.get("end", "17:00")),
    )


def policy_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    return [(p.id, p.name) for p in policies.list_policies(uow, limit=500).items]


def paging_context(uow: UnitOfWork, service: Service, form: FormState | None) -> dict[str, Any]:
    """What the Paging section shows: the settings, and the form's values and choices."""
    return {
        "paging": policies.paging_out(uow, service),
        "paging_form": form or paging_values(service),
        "policy_choices": policy_choices(uow),
        "severity_choices": SEVERITIES,
        "weekdays": WEEKDAYS,
    }


def paging_input(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """The posted form as :class:`ServicePagingIn` input: blank zone means no support hours."""

    def one(name: str) -> str:
        return (fields.get(name) or [""])[-1].strip()

    hours = None
    if one("zone"):
        hours = {
            "zone": one("zone"),
            "days": fields.get("days", []),
            "start": one("start"),
            "end": one("end"),
        }
    rules = {"low_severities": fields.get("low_severities", []), "support_hours": hours}
    return {"escalation_policy_id": one("escalation_policy_id") or None, "urgency_rules": rules}
