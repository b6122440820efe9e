"""An incident's investigation records as JSON-ready data, for the incident export."""

from __future__ import annotations

from typing import Any

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.investigation.assets import list_assets
from muster.domain.investigation.observables import list_observables, observables_out
from muster.domain.investigation.schemas import AssetOut
from muster.domain.investigation.techniques import list_techniques, technique_out


def investigation_export(uow: UnitOfWork, actor: Actor, incident: Incident) -> dict[str, Any]:
    """``{"observables": [...], "assets": [...], "techniques": [...]}``, each item a
    JSON-ready dict (times as RFC 3339 strings).

    Precondition: ``actor`` may see ``incident`` (:class:`NotFound` otherwise)."""
    observables = observables_out(uow, actor, list_observables(uow, actor, incident.id))
    return {
        "observables": [o.model_dump(mode="json") for o in observables],
        "assets": [
            AssetOut.model_validate(a).model_dump(mode="json")
            for a in list_assets(uow, actor, incident.id)
        ],
        "techniques": [
            technique_out(t).model_dump(mode="json")
            for t in list_techniques(uow, actor, incident.id)
        ],
    }
