"""Reminds the Communications Lead (else the Commander) when an incident's next status
update is due by its severity's cadence: ``incident.update_due``, once per due time.

The timer is the incident's ``next_update_due_at``; ``update_reminded_at`` records that
the reminder for it went out (in the same transaction), so a second pass, or a second
worker, does nothing more. Posting an update moves the due time on, which arms the
next reminder.
"""

from __future__ import annotations

from datetime import datetime

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Via
from muster.domain.incidents.updates import do_remind_update_due, due_for_reminder, reminders_due

ENGINE = Actor.system(Via.ENGINE, label="engine")
BATCH = 200


class IncidentUpdates:
    name = "incident_updates"

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        return uow.session.scalars(reminders_due(now).limit(1)).first() is not None

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        due = due_for_reminder(uow, now, limit=BATCH)
        for incident in due:
            do_remind_update_due(uow, ENGINE, incident)
        return len(due)
