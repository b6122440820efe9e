"""Removing everything a drill run created, in one action, once its report is kept.

:func:`do_cleanup_exercise` deletes, for the run: its incidents and all that hangs off
them (tasks, notes, roles, clocks, submissions, evidence rows and stored bytes, reviews,
action items, playbook runs ... by their ``ON DELETE CASCADE``), its alerts, alert groups
with their escalations, its notifications (outbox rows of its alert groups and
incidents), its integrations, its exercise services and the escalation policy made for
its participants, and its exercise site (``Site.exercise_run_id``, with its zones,
devices and site events). It returns how many of each it removed and records one
``exercise.cleaned_up`` event (subject ``drill_run``/run id) with those counts.

The event log is not touched: it is the append-only, hash-chained audit record, so what
happened during the drill stays provable after cleanup (timelines of removed incidents
remain in the log, unreachable from any page).

Rows of other tables that point at removed rows without an ``ON DELETE`` rule are found
from the table metadata: nullable references are cleared, required ones are deleted with
the row (so tables added later, e.g. correlation links, need no change here).

Precondition: manager role. Running it again for the same run removes nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.alerts.models import Alert, AlertGroup, Integration
from muster.domain.catalog.models import Service
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_store import EvidenceStore
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.exercises.setup import policy_description
from muster.domain.incidents.models import Incident
from muster.domain.notify.models import OutboxMessage
from muster.domain.purge import Purge
from muster.domain.sites.models import Site
from muster.errors import FieldError, InvalidInput

_CHUNK = 500


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def do_cleanup_exercise(
    uow: UnitOfWork, actor: Actor, run_id: str, *, evidence_store: EvidenceStore | None = None
) -> dict[str, int]:
    """Remove everything tagged with ``run_id``; returns counts by kind (``incidents``,
    ``alerts``, ``alert_groups``, ``notifications``, ``integrations``, ``services``,
    ``escalation_policies``, ``sites``). Stored evidence bytes go after commit when
    ``evidence_store`` is given."""
    require(actor, Role.MANAGER)
    if not run_id or len(run_id) > 36:
        raise InvalidInput("bad run id", errors=[FieldError("run_id", "1 to 36 characters")])
    uow.flush()
    session = uow.session
    incidents = list(session.scalars(select(Incident.id).where(Incident.exercise_run_id == run_id)))
    services = list(session.scalars(select(Service.id).where(Service.exercise_run_id == run_id)))
    groups = _ids(uow, AlertGroup.id, AlertGroup.service_id, services)
    alerts = list(session.scalars(select(Alert.id).where(
        or_(Alert.exercise_run_id == run_id, Alert.service_id.in_(services))
    )))  # fmt: skip
    integrations = list(session.scalars(select(Integration.id).where(
        or_(Integration.exercise_run_id == run_id,
            Integration.service_id.in_(services))
    )))  # fmt: skip
    policies = list(session.scalars(
        select(EscalationPolicy.id).where(
            EscalationPolicy.description == policy_description(run_id),
            EscalationPolicy.id.in_(
                select(Service.escalation_policy_id).where(Service.exercise_run_id == run_id)
            ),
        )
    ))  # fmt: skip
    sites = list(session.scalars(select(Site.id).where(Site.exercise_run_id == run_id)))
    if evidence_store is not None and incidents:
        _forget_evidence_bytes(uow, incidents, evidence_store)
    messages = _ids(uow, OutboxMessage.id, OutboxMessage.group_id, groups)
    messages += _incident_messages(uow, incidents, exclude=set(messages))
    purge = Purge(uow)
    counts = {
        "notifications": purge.rows(_table(OutboxMessage), messages),
        "incidents": purge.rows(_table(Incident), incidents),
        "alerts": purge.rows(_table(Alert), alerts),
        "alert_groups": purge.rows(_table(AlertGroup), groups),
        "integrations": purge.rows(_table(Integration), integrations),
        "services": purge.rows(_table(Service), services),
        "escalation_policies": purge.rows(_table(EscalationPolicy), policies),
        # The run's exercise site, with its zones, devices and site events (cascade).
        "sites": purge.rows(_table(Site), sites),
    }
    purge.forget_loaded()
    append_event(uow, actor, "exercise.cleaned_up", subject_type="drill_run", subject_id=run_id,
                 data={"run_id": run_id, "removed": counts})  # fmt: skip
    return counts


def _ids(uow: UnitOfWork, id_column: Any, column: Any, values: Sequence[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        found += uow.session.scalars(select(id_column).where(column.in_(chunk)))
    return found


def _incident_messages(uow: UnitOfWork, incidents: Sequence[str], exclude: set[str]) -> list[str]:
    """Outbox rows about the incidents (their payload names the incident)."""
    if not incidents:
        return []
    wanted = set(incidents)
    since = uow.session.scalar(
        select(Incident.declared_at).where(Incident.id.in_(wanted)).order_by(Incident.declared_at)
    )
    rows = uow.session.execute(
        select(OutboxMessage.id, OutboxMessage.payload).where(
            OutboxMessage.group_id.is_(None), OutboxMessage.created_at >= since
        )
    )
    return [
        row.id for row in rows
        if row.id not in exclude and isinstance(row.payload, dict)
        and row.payload.get("incident_id") in wanted
    ]  # fmt: skip


def _forget_evidence_bytes(uow: UnitOfWork, incidents: Sequence[str], store: EvidenceStore) -> None:
    keys = [
        key
        for key in _ids(uow, EvidenceItem.storage_key, EvidenceItem.incident_id, incidents)
        if key is not None
    ]
    for key in keys:
        uow.after_commit(lambda key=key: store.delete(key))  # type: ignore[misc]
