"""A world for the public status page: public and internal services, incidents that
must show and incidents that must never show, updates of both kinds, maintenance.

Every string in :data:`NEVER` is planted somewhere the page must not reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from helpers import SYSTEM
from incident_support import Cast, build_cast, declare
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.maintenance import do_create_maintenance
from muster.domain.alerts.schemas import MaintenanceIn
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.events.actor import Actor
from muster.domain.incidents.notes import do_add_note
from muster.domain.incidents.status_settings import (
    ComponentSetting,
    StatusPageSettings,
    do_set_status_page,
)
from muster.domain.incidents.transitions import do_transition
from muster.domain.incidents.update_schemas import InternalUpdateIn, PublicUpdateIn
from muster.domain.incidents.updates import do_post_update

NEVER = (
    "TITLE-OF-A", "SUMMARY-OF-A", "IMPACT-OF-A", "INTERNAL-CONDITIONS-A", "NOTE-BODY-A",
    "RESTRICTED-PUBLIC-BODY", "RESTRICTED-TITLE", "NOT-CUSTOMER-FACING-BODY",
    "INTERNAL-SERVICE-ONLY-BODY", "ledger-internal", "SECRET-REASON-NOW", "SECRET-REASON-LATER",
    "OLD-INCIDENT-BODY", "@example.com", "INC-",
)  # fmt: skip
A_UPDATE = "Some card payments are failing. We are investigating."
E_UPDATES = ("Search results are slow for some customers.", "Search is back to normal.")


@dataclass
class StatusWorld:
    cast: Cast
    checkout: str
    search: str
    payments: str
    ledger: str
    a: str  # SEV1, customer-facing, on checkout and ledger-internal: shown, open
    e: str  # SEV3, customer-facing, on search: resolved two hours ago (past incidents)
    hidden: dict[str, str]  # what never shows: name -> incident id


def service(db: Database, cast: Cast, name: str) -> str:
    with db.unit_of_work() as uow:
        row = do_create_service(uow, SYSTEM, ServiceCreate(name=name, team_id=cast.team))
        uow.commit()
        return row.id


def publish(db: Database, actor: Actor, *settings: tuple[str, bool, str]) -> None:
    """(service id, public, public name) for each service."""
    data = StatusPageSettings(
        services=[ComponentSetting(service_id=s, public=p, public_name=n) for s, p, n in settings]
    )
    with db.unit_of_work() as uow:
        do_set_status_page(uow, actor, data)
        uow.commit()


def post_public(db: Database, actor: Actor, incident: str, body: str, status: str) -> str:
    with db.unit_of_work() as uow:
        data = PublicUpdateIn(kind="public", body=body, public_status=status)  # type: ignore[arg-type]
        row = do_post_update(uow, actor, incident, data)
        uow.commit()
        return row.id


def post_internal(db: Database, actor: Actor, incident: str, conditions: str) -> None:
    with db.unit_of_work() as uow:
        do_post_update(uow, actor, incident, InternalUpdateIn(conditions=conditions))
        uow.commit()


def transition(db: Database, actor: Actor, incident: str, to: str) -> None:
    with db.unit_of_work() as uow:
        do_transition(uow, actor, incident, to)
        uow.commit()


def maintenance(db: Database, actor: Actor, service_id: str, start: timedelta,
                length: timedelta, reason: str) -> None:  # fmt: skip
    with db.unit_of_work() as uow:
        starts = uow.now + start
        data = MaintenanceIn(starts_at=starts, ends_at=starts + length, reason=reason)
        do_create_maintenance(uow, actor, service_id, data)
        uow.commit()


def build_status_world(db: Database, clock: ManualClock) -> StatusWorld:
    cast = build_cast(db)
    ic = cast.ic
    search, payments = service(db, cast, "search"), service(db, cast, "payments")
    ledger = service(db, cast, "ledger-internal")
    publish(db, cast.boss, (cast.service, True, "Checkout"), (search, True, "Search API"),
            (payments, True, ""))  # fmt: skip

    # Resolved a hundred days ago: past the page's 90 days.
    old = declare(db, ic, severity=3, customer_facing=True, service_ids=[search])
    post_public(db, ic, old, "OLD-INCIDENT-BODY", "investigating")
    transition(db, ic, old, "resolved")
    clock.advance(days=100)

    e = declare(db, ic, title="Search slow", severity=3, customer_facing=True, service_ids=[search])
    post_public(db, ic, e, E_UPDATES[0], "identified")
    clock.advance(minutes=30)
    post_public(db, ic, e, E_UPDATES[1], "resolved")
    transition(db, ic, e, "resolved")
    clock.advance(hours=2)

    a = declare(db, ic, title="TITLE-OF-A db-7 OOM", summary="SUMMARY-OF-A", impact="IMPACT-OF-A",
                severity=1, customer_facing=True, service_ids=[cast.service, ledger])  # fmt: skip
    post_internal(db, ic, a, "INTERNAL-CONDITIONS-A")
    with db.unit_of_work() as uow:
        do_add_note(uow, ic, a, "NOTE-BODY-A")
        uow.commit()
    clock.advance(minutes=1)
    post_public(db, ic, a, A_UPDATE, "investigating")

    hidden = {
        "restricted": declare(db, ic, title="RESTRICTED-TITLE", severity=1, restricted=True,
                              customer_facing=True, service_ids=[search]),
        "internal": declare(db, ic, severity=2, customer_facing=False, service_ids=[search]),
        "internal_service": declare(db, ic, severity=1, customer_facing=True,
                                    service_ids=[ledger]),
    }  # fmt: skip
    post_public(db, ic, hidden["restricted"], "RESTRICTED-PUBLIC-BODY", "identified")
    post_public(db, ic, hidden["internal"], "NOT-CUSTOMER-FACING-BODY", "identified")
    post_public(db, ic, hidden["internal_service"], "INTERNAL-SERVICE-ONLY-BODY", "identified")

    maintenance(db, ic, payments, -timedelta(minutes=30), timedelta(hours=1), "SECRET-REASON-NOW")
    maintenance(db, ic, cast.service, timedelta(days=1), timedelta(hours=2), "SECRET-REASON-LATER")
    return StatusWorld(cast, cast.service, search, payments, ledger, a, e, hidden)
