"""Site correlation rules: stored, edited by admins, read by the correlation module.

Shipped: :data:`SHIPPED_EXAMPLE`, the issue's example (a forced door and a person in the
same restricted zone within 2 minutes → an "Unauthorized access" SEV2 physical-security
incident with the physical-access playbook), installed once by
:func:`do_install_example`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.correlation.models import CorrelationRule
from muster.domain.correlation.schemas import RuleIn
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.incidents.service import check_type
from muster.domain.playbooks.models import Playbook
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

SHIPPED_EXAMPLE = RuleIn(
    name="Unauthorized access to a restricted zone",
    kinds=["door_forced_open", "detected:person"],
    scope="zone",
    restricted_only=True,
    window_minutes=2,
    outcome="incident",
    title="Unauthorized access",
    incident_type="physical_security",
    incident_severity=2,
    playbook_key="physical-access",
)


def list_rules(uow: UnitOfWork) -> Sequence[CorrelationRule]:
    return uow.session.scalars(
        select(CorrelationRule).order_by(CorrelationRule.name, CorrelationRule.id)
    ).all()


def enabled_rules(uow: UnitOfWork) -> Sequence[CorrelationRule]:
    return uow.session.scalars(
        select(CorrelationRule)
        .where(CorrelationRule.enabled.is_(True))
        .order_by(CorrelationRule.created_at, CorrelationRule.id)
    ).all()


def get_rule(uow: UnitOfWork, rule_id: str) -> CorrelationRule:
    row = uow.session.get(CorrelationRule, rule_id)
    if row is None:
        raise NotFound("no such correlation rule")
    return row


def _check(uow: UnitOfWork, data: RuleIn, rule_id: str | None) -> None:
    """The service, incident type and playbook named exist; the name is free."""
    if data.service_id:
        service = uow.session.get(Service, data.service_id)
        if service is None or service.archived_at is not None:
            raise InvalidInput(
                "no such service",
                errors=[FieldError("service_id", "no active service has this id")],
            )
    if data.outcome == "incident" and data.incident_type:
        check_type(uow, data.incident_type, field="incident_type")
    if data.playbook_key:
        playbook = uow.session.scalar(select(Playbook).where(Playbook.key == data.playbook_key))
        if playbook is None or playbook.archived_at is not None:
            raise InvalidInput(
                "no such playbook",
                errors=[FieldError("playbook_key", f"no active playbook {data.playbook_key!r}")],
            )
    other = uow.session.scalar(select(CorrelationRule.id).where(CorrelationRule.name == data.name))
    if other is not None and other != rule_id:
        raise Conflict(
            "name taken", errors=[FieldError("name", "another correlation rule has this name")]
        )


def _apply(row: CorrelationRule, data: RuleIn) -> None:
    row.name, row.enabled, row.kinds = data.name, data.enabled, list(data.kinds)
    row.scope, row.restricted_only = data.scope, data.restricted_only
    row.window_minutes, row.outcome, row.title = data.window_minutes, data.outcome, data.title
    row.alert_severity, row.service_id = data.alert_severity, data.service_id
    incident = data.outcome == "incident"
    row.incident_type = data.incident_type if incident else None
    row.incident_severity = (data.incident_severity or 3) if incident else None
    row.playbook_key = data.playbook_key if incident else None


def snapshot(row: CorrelationRule) -> dict[str, Any]:
    return {
        "name": row.name, "enabled": row.enabled, "kinds": row.kinds, "scope": row.scope,
        "restricted_only": row.restricted_only, "window_minutes": row.window_minutes,
        "outcome": row.outcome, "title": row.title, "alert_severity": row.alert_severity,
        "service_id": row.service_id, "incident_type": row.incident_type,
        "incident_severity": row.incident_severity, "playbook_key": row.playbook_key,
    }  # fmt: skip


def do_create_rule(uow: UnitOfWork, actor: Actor, data: RuleIn) -> CorrelationRule:
    """Add a rule (``correlation_rule.created``).

    Preconditions: admin role; the service (alert outcome), incident type and playbook
    exist (:class:`InvalidInput` naming the field); the name is free (:class:`Conflict`)."""
    require(actor, Role.ADMIN)
    _check(uow, data, None)
    row = CorrelationRule(created_at=uow.now, updated_at=uow.now)
    _apply(row, data)
    uow.session.add(row)
    uow.flush()
    append_event(uow, actor, "correlation_rule.created", subject_type="correlation_rule",
                 subject_id=row.id, data=snapshot(row))  # fmt: skip
    return row


def do_update_rule(uow: UnitOfWork, actor: Actor, rule_id: str, data: RuleIn) -> CorrelationRule:
    """Replace a rule (``correlation_rule.updated`` with ``changes: {field: [before,
    after]}``; nothing changed records nothing). Matches already made stay as they are.

    Preconditions: as :func:`do_create_rule`; the rule exists (:class:`NotFound`)."""
    require(actor, Role.ADMIN)
    row = get_rule(uow, rule_id)
    _check(uow, data, row.id)
    before = snapshot(row)
    _apply(row, data)
    after = snapshot(row)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        row.updated_at = uow.now
        append_event(uow, actor, "correlation_rule.updated", subject_type="correlation_rule",
                     subject_id=row.id, data={"name": row.name, "changes": changes})  # fmt: skip
    return row


def do_delete_rule(uow: UnitOfWork, actor: Actor, rule_id: str) -> None:
    """Delete a rule (``correlation_rule.deleted`` keeps what it was); its matches stay,
    naming it. Preconditions: admin role; the rule exists."""
    require(actor, Role.ADMIN)
    row = get_rule(uow, rule_id)
    append_event(uow, actor, "correlation_rule.deleted", subject_type="correlation_rule",
                 subject_id=row.id, data=snapshot(row))  # fmt: skip
    uow.session.delete(row)
    uow.flush()


def do_install_example(uow: UnitOfWork, actor: Actor) -> CorrelationRule | None:
    """Install :data:`SHIPPED_EXAMPLE` unless a rule of that name exists; None then.
    Without the physical-access playbook installed, the rule names no playbook.

    Precondition: admin role."""
    require(actor, Role.ADMIN)
    if uow.session.scalar(
        select(CorrelationRule.id).where(CorrelationRule.name == SHIPPED_EXAMPLE.name)
    ):
        return None
    data = SHIPPED_EXAMPLE
    if not uow.session.scalar(select(Playbook.id).where(Playbook.key == data.playbook_key)):
        data = data.model_copy(update={"playbook_key": None})
    return do_create_rule(uow, actor, data)
