"""An incident's affected assets (hosts, accounts, devices, doors, cameras) and their
compromise status; every status change is an event saying who and when."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.investigation.models import AffectedAsset
from muster.domain.investigation.schemas import AssetIn, AssetStatusIn
from muster.domain.sites.service import check_site_usable
from muster.errors import Conflict, FieldError, NotFound


def list_assets(uow: UnitOfWork, actor: Actor, incident_id: str) -> Sequence[AffectedAsset]:
    """Precondition: the incident visible."""
    get_visible_incident(uow, actor, incident_id)
    return uow.session.scalars(
        select(AffectedAsset)
        .where(AffectedAsset.incident_id == incident_id)
        .order_by(AffectedAsset.added_at, AffectedAsset.id)
    ).all()


def do_add_asset(uow: UnitOfWork, actor: Actor, incident_id: str, data: AssetIn) -> AffectedAsset:
    """Record an affected asset (``incident.asset_added``).

    Preconditions: responder role; the incident visible; no asset of the same kind and
    name on it yet (:class:`Conflict` naming ``name``)."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    taken = uow.session.scalar(
        select(AffectedAsset.id).where(
            AffectedAsset.incident_id == incident.id,
            AffectedAsset.kind == data.kind,
            AffectedAsset.name == data.name,
        )
    )
    if taken is not None:
        raise Conflict(
            "this asset is already recorded",
            errors=[FieldError("name", f"a {data.kind} named {data.name} is already listed")],
        )
    row = AffectedAsset(
        incident_id=incident.id, kind=data.kind, name=data.name, identifier=data.identifier,
        status=data.status, notes=data.notes, added_at=uow.now, added_by=actor.label,
        status_changed_at=uow.now, status_changed_by=actor.label,
        site_id=check_site_usable(uow, data.site_id).id if data.site_id else None,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    record(
        uow, actor, incident, "incident.asset_added",
        asset_id=row.id, kind=row.kind, name=row.name, identifier=row.identifier,
        status=row.status, site_id=row.site_id,
    )  # fmt: skip
    return row


def _asset(uow: UnitOfWork, actor: Actor, incident_id: str, asset_id: str) -> tuple[
    AffectedAsset, Incident
]:  # fmt: skip
    incident = get_visible_incident(uow, actor, incident_id)
    row = uow.session.get(AffectedAsset, asset_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound("no such asset")
    return row, incident


def do_set_asset_status(
    uow: UnitOfWork, actor: Actor, incident_id: str, asset_id: str, data: AssetStatusIn
) -> AffectedAsset:
    """Change an asset's compromise status (``incident.asset_status_changed`` with the
    previous status and the note).

    Preconditions: responder role; the asset on a visible incident; a different status
    (:class:`Conflict` naming ``status`` otherwise)."""
    require(actor, Role.RESPONDER)
    row, incident = _asset(uow, actor, incident_id, asset_id)
    if row.status == data.status:
        raise Conflict("nothing to change", errors=[FieldError("status", "already so")])
    previous = row.status
    row.status = data.status
    row.status_changed_at = uow.now
    row.status_changed_by = actor.label
    record(
        uow, actor, incident, "incident.asset_status_changed",
        asset_id=row.id, kind=row.kind, name=row.name, status=row.status,
        previous=previous, note=data.note,
    )  # fmt: skip
    return row
