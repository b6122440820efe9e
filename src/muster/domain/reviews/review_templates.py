"""Review templates (admin-edited; the built-in default can be edited, not deleted),
the choice of a template for an incident, and the review policy: which incidents
require a review and by when.

The due date is ``due_business_days`` business days after resolution, counted in UTC
with weekends excluded and no holiday calendar
(:func:`muster.domain.compliance.deadlines.add_period` with ``no_holidays``): the end of
that business day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.deadlines import add_period
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.incidents.models import Incident, IncidentType
from muster.domain.reviews.models import ReviewPolicy, ReviewTemplate
from muster.domain.reviews.review_schemas import PolicyIn, TemplateIn, TemplateUpdate
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

POLICY_ID = "default"


# ---------------------------------------------------------------- policy


def get_policy(uow: UnitOfWork) -> ReviewPolicy:
    """The policy row (seeded by migration 0018; made again with the defaults if gone)."""
    row = uow.session.get(ReviewPolicy, POLICY_ID)
    if row is None:
        row = ReviewPolicy(
            id=POLICY_ID, severities=[1, 2], type_keys=["security"], due_business_days=5,
            updated_at=uow.now, updated_by="default",
        )  # fmt: skip
        uow.session.add(row)
        uow.session.flush()
    return row


def requires_review(policy: ReviewPolicy, incident: Incident) -> bool:
    return incident.severity in policy.severities or incident.type_key in policy.type_keys


def review_due_at(policy: ReviewPolicy, resolved_at: datetime) -> datetime:
    return add_period(resolved_at, policy.due_business_days, "business_days")


def do_update_policy(uow: UnitOfWork, actor: Actor, data: PolicyIn) -> ReviewPolicy:
    """Preconditions: admin; every type key names an incident type."""
    require(actor, Role.ADMIN)
    _check_types(uow, data.type_keys)
    row = get_policy(uow)
    row.severities = sorted(set(data.severities))
    row.type_keys = sorted(set(data.type_keys))
    row.due_business_days = data.due_business_days
    row.updated_at, row.updated_by = uow.now, actor.label
    append_event(
        uow, actor, "review_policy.updated", subject_type="review_policy", subject_id=POLICY_ID,
        data={"severities": row.severities, "type_keys": row.type_keys,
              "due_business_days": row.due_business_days},
    )  # fmt: skip
    return row


# ---------------------------------------------------------------- templates


def list_templates(uow: UnitOfWork) -> Sequence[ReviewTemplate]:
    return uow.session.scalars(
        select(ReviewTemplate).order_by(ReviewTemplate.builtin.desc(), ReviewTemplate.name)
    ).all()


def get_template(uow: UnitOfWork, template_id: str) -> ReviewTemplate:
    row = uow.session.get(ReviewTemplate, template_id)
    if row is None:
        raise NotFound("no such review template")
    return row


def _specificity(t: ReviewTemplate, incident: Incident) -> int | None:
    """How closely ``t`` fits (2: type and severity named, 1: one of them, 0: neither);
    None when it names something the incident is not."""
    if t.type_keys and incident.type_key not in t.type_keys:
        return None
    if t.severities and incident.severity not in t.severities:
        return None
    return int(bool(t.type_keys)) + int(bool(t.severities))


def choose_template(uow: UnitOfWork, incident: Incident) -> ReviewTemplate | None:
    """The most specific template for the incident's type and severity (ties: the
    built-in, then by name), else the built-in default."""
    best: tuple[int, ReviewTemplate] | None = None
    for t in list_templates(uow):
        score = _specificity(t, incident)
        if score is not None and (best is None or score > best[0]):
            best = (score, t)
    return best[1] if best else None


def _check_types(uow: UnitOfWork, keys: list[str]) -> None:
    known = set(uow.session.scalars(select(IncidentType.key).where(IncidentType.key.in_(keys))))
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise InvalidInput(
            "unknown incident type",
            errors=[FieldError("type_keys", f"no incident type {unknown[0]!r}")],
        )


def _check_name(uow: UnitOfWork, name: str, own_id: str | None) -> None:
    clash = uow.session.scalar(
        select(ReviewTemplate.id).where(func.lower(ReviewTemplate.name) == name.lower())
    )
    if clash is not None and clash != own_id:
        raise Conflict("this name is taken", errors=[FieldError("name", f"{name!r} exists")])


def _event(uow: UnitOfWork, actor: Actor, kind: str, row: ReviewTemplate, **data: Any) -> None:
    append_event(
        uow, actor, f"review_template.{kind}", subject_type="review_template",
        subject_id=row.id, data={"name": row.name, **data},
    )  # fmt: skip


def do_create_template(uow: UnitOfWork, actor: Actor, data: TemplateIn) -> ReviewTemplate:
    """Preconditions: admin; the name not taken; the type keys exist."""
    require(actor, Role.ADMIN)
    _check_types(uow, data.type_keys)
    _check_name(uow, data.name, None)
    row = ReviewTemplate(
        name=data.name, type_keys=sorted(set(data.type_keys)),
        severities=sorted(set(data.severities)), body=data.body, builtin=False,
        created_at=uow.now, updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(row)
    uow.session.flush()
    _event(uow, actor, "created", row, type_keys=row.type_keys, severities=row.severities)
    return row


def do_update_template(
    uow: UnitOfWork, actor: Actor, template_id: str, data: TemplateUpdate
) -> ReviewTemplate:
    """Change the fields given. The built-in default keeps applying to everything.

    Preconditions: admin; the name not taken; the type keys exist."""
    require(actor, Role.ADMIN)
    row = get_template(uow, template_id)
    if row.builtin and (data.type_keys or data.severities):
        raise InvalidInput(
            "the default template applies to every incident",
            errors=[FieldError("type_keys", "the default template cannot be narrowed")],
        )
    if data.name is not None:
        _check_name(uow, data.name, row.id)
        row.name = data.name
    if data.type_keys is not None:
        _check_types(uow, data.type_keys)
        row.type_keys = sorted(set(data.type_keys))
    if data.severities is not None:
        row.severities = sorted(set(data.severities))
    if data.body is not None:
        row.body = data.body
    row.updated_at = uow.now
    _event(uow, actor, "updated", row, fields=sorted(data.model_fields_set))
    return row


def do_delete_template(uow: UnitOfWork, actor: Actor, template_id: str) -> None:
    """Reviews made from it keep their text. Preconditions: admin; not the built-in."""
    require(actor, Role.ADMIN)
    row = get_template(uow, template_id)
    if row.builtin:
        raise Conflict("the built-in default template cannot be deleted")
    _event(uow, actor, "deleted", row)
    uow.session.delete(row)
    uow.session.flush()
