"""Firing one inject of a run.

* ``alert``: the payload, its timestamps moved to the fire time, goes through the real
  intake code of its format (:mod:`muster.domain.drills.intake`: the format's parser,
  then what its endpoint stores with) on the run's exercise integration of that format,
  so the alert lands on the exercise service (marked with the run) and pages through its
  policy (live runs: the participants; tabletop runs: nobody); physical events land at
  the run's exercise site.
* ``message``: to the participant holding ``to_role`` (the facilitator when nobody does);
  in a live run also sent to them as a notification marked EXERCISE.
* ``fact``: for the facilitators, shown in the console.

A payload the parser refuses fails the inject (its error kept, the run goes on).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.alerts.models import Integration
from muster.domain.drills.drill_time import offset_at
from muster.domain.drills.intake import ingest_inject
from muster.domain.drills.models import DrillRun, RunInject
from muster.domain.events.actor import Actor
from muster.domain.events.service import append_event
from muster.domain.notify.incident_updates import update_method
from muster.domain.notify.outbox import queue_notice
from muster.errors import MusterError

EXERCISE = "[EXERCISE]"


def run_integration(
    uow: UnitOfWork, run: DrillRun, definition: dict[str, Any]
) -> Integration | None:
    """The run's live exercise integration an alert inject goes through (for access
    control, the one of the inject's vendor preset)."""
    format = str(definition["format"])
    found = uow.session.scalars(
        select(Integration)
        .where(
            Integration.service_id == run.service_id,
            Integration.type == format,
            Integration.revoked_at.is_(None),
        )
        .order_by(Integration.created_at, Integration.id)
    ).all()
    if format == "access_control":
        preset = definition.get("preset") or "muster"
        found = [i for i in found if i.config.get("preset") == preset]
    return found[0] if found else None


def fire_inject(uow: UnitOfWork, actor: Actor, run: DrillRun, inject: RunInject) -> None:
    """Fire ``inject`` now. Precondition: it is pending and the run is running."""
    now = uow.now
    inject.fired_at, inject.fired_offset = now, offset_at(run, now)
    try:
        inject.output = _act(uow, run, inject)
        inject.status = "fired"
    except MusterError as exc:
        inject.status, inject.error = "failed", f"{exc.title}: {exc.detail}"[:2000]
        inject.output = {"errors": [f"{e.field}: {e.reason}" for e in exc.errors][:20]}
    append_event(uow, actor, f"drill.inject_{inject.status}", subject_type="drill_run",
                 subject_id=run.id,
                 data={"inject": inject.name, "kind": inject.kind, "offset": inject.fired_offset,
                       "text": inject.definition.get("text"), "error": inject.error})  # fmt: skip


def _act(uow: UnitOfWork, run: DrillRun, inject: RunInject) -> dict[str, Any]:
    definition = inject.definition
    if inject.kind == "alert":
        integration = run_integration(uow, run, definition)
        if integration is None:
            raise MusterError(f"the run has no live {definition['format']} integration")
        return ingest_inject(uow, integration, definition)
    if inject.kind == "message":
        role = str(definition["to_role"])
        user_id = str(run.participants.get(role) or run.facilitator_id)
        sent = run.mode == "live" and _notify(uow, run, inject, user_id, role)
        return {"to_role": role, "to_user_id": user_id, "sent": sent}
    return {}


def _notify(uow: UnitOfWork, run: DrillRun, inject: RunInject, user_id: str, role: str) -> bool:
    user = uow.session.get(User, user_id)
    method = update_method(uow, user) if user is not None else None
    if method is None:
        return False
    queue_notice(
        uow,
        method,
        "drill",
        f"drill:{run.id}:{inject.id}",
        subject=f"{EXERCISE} Drill message for the {role}: {run.title}"[:200],
        text=f"{EXERCISE} {inject.definition.get('text', '')} — this is a drill, not a real "
        f"incident.",
        extra={"path": f"/drills/runs/{run.id}"},
    )
    return True
