"""Pages for an Incident Commander: each open SEV1-SEV2 (whatever severities require
one) without a Commander pages its services' escalation policies, again every ten
minutes until someone takes the role. See :mod:`muster.domain.incidents.commander_pages`."""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.incidents.commander_pages import (
    do_page_for_commanders,
    due_for_commander_page,
)


class IncidentCommander:
    name = "incident_commander"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalars(due_for_commander_page(now).limit(1)).first() is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        return do_page_for_commanders(uow, now)
