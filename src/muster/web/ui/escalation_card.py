"""What the "Escalation" card of an alert group's page shows: where the escalation
stands, who was paged at each level, the warnings, and the choices of its buttons."""

from __future__ import annotations

from typing import Any

from muster.db.uow import UnitOfWork
from muster.domain.escalation import service as policies
from muster.domain.escalation.history import escalation_story
from muster.domain.events.actor import Role
from muster.web.auth import Caller
from muster.web.ui.forms import FormState, blank_form
from muster.web.ui.teams import active_users

# (minutes, label) of the snooze choices.
SNOOZE_CHOICES = [("15", "15 minutes"), ("60", "1 hour"), ("240", "4 hours"), ("1440", "1 day")]
FORM_PREFIX = "esc"


def reassign_choices(uow: UnitOfWork) -> list[tuple[str, list[tuple[str, str]]]]:
    """Whom an escalation may be handed to: ``user:<id>`` or ``policy:<id>``, grouped."""
    people = [(f"user:{u.id}", f"{u.name} ({u.email})") for u in active_users(uow)]
    page = policies.list_policies(uow, limit=500)
    found = [(f"policy:{p.id}", p.name) for p in page.items if p.levels]
    return [("People", people), ("Escalation policies", found)]


def escalation_context(
    uow: UnitOfWork, group_id: str, caller: Caller, form: FormState | None = None
) -> dict[str, Any]:
    """The template values of the card (``escalation`` is None: not being escalated)."""
    story = escalation_story(uow, group_id)
    can_page = story is not None and story.state.status != "resolved"
    return {
        "escalation": story,
        "escalation_form": form or blank_form(FORM_PREFIX, minutes="60"),
        "snooze_choices": SNOOZE_CHOICES,
        "reassign_choices": reassign_choices(uow)
        if can_page and caller.actor.role >= Role.RESPONDER
        else [],
    }
