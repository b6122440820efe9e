"""The incident page's "Playbooks" section (a template global, read in the page's own
unit of work, so the incident page needs no more than one include line), and who may
decide an approval step."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import object_session

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.roles import holder
from muster.domain.playbooks import runs
from muster.domain.playbooks.models import RUN_ENDED, RunStep
from muster.web.auth import Caller
from muster.web.ui.playbook_choices import playbook_choices
from muster.web.ui.render import env


def may_decide(uow: UnitOfWork, caller: Caller, step: RunStep, incident_id: str) -> bool:
    """Whether ``caller`` may approve or reject ``step``: it awaits approval, and they hold
    its role in the incident (or are an admin)."""
    if step.status != "awaiting_approval":
        return False
    if caller.actor.role >= Role.ADMIN:
        return True
    held = holder(uow, incident_id, str(step.definition.get("role") or ""))
    return held is not None and held.user_id == caller.user.id


def _uow_of(row: object) -> UnitOfWork | None:
    session = object_session(row)
    values = session.info.values() if session else ()
    return next((v for v in values if isinstance(v, UnitOfWork)), None)


def incident_playbooks(incident: Incident, caller: Caller | None) -> dict[str, Any]:
    """For the incident page's "Playbooks" section: the runs on the incident, newest
    first, and the playbooks that may be run on it."""
    uow = _uow_of(incident)
    if uow is None or caller is None:
        return {"runs": [], "choices": [], "running": 0}
    found = runs.runs_for_incident(uow, caller.actor, incident.id)
    return {
        "runs": found,
        "choices": playbook_choices(uow) if caller.actor.role >= Role.RESPONDER else [],
        "running": sum(1 for r in found if r.status not in RUN_ENDED),
    }


env.globals["incident_playbooks"] = incident_playbooks
