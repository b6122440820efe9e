"""What the playbook pages offer to pick from: open incidents, runnable playbooks."""

from __future__ import annotations

from muster.db.uow import UnitOfWork
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.service import IncidentFilter, list_incidents, reference
from muster.domain.playbooks import service
from muster.web.auth import Caller

CHOICES = 100


def incident_choices(uow: UnitOfWork, caller: Caller) -> list[tuple[str, str]]:
    """(id, "INC-12 · title") of the open incidents ``caller`` may see, newest first."""
    page = list_incidents(uow, caller.actor, IncidentFilter(status=OPEN_STATUSES), limit=CHOICES)
    return [(i.id, f"{reference(i)} · {i.title[:80]}") for i in page.items]


def playbook_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """(id, name) of the playbooks that may be run by hand: not archived (disabled ones
    too, marked: disabling stops only their triggers), by name."""
    page = service.list_playbooks(uow, limit=CHOICES)
    found = sorted(page.items, key=lambda p: (p.name.lower(), p.id))
    return [(p.id, p.name if p.enabled else f"{p.name} (disabled)") for p in found]
