"""Commands and queries on services."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from muster.db.pagination import Page, paginate
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.catalog.schemas import ServiceCreate, ServiceOut, ServiceUpdate
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.sites.service import check_site_usable
from muster.errors import Conflict, FieldError, InvalidInput, NotFound


def check_team_usable(uow: UnitOfWork, team_id: str) -> Team:
    team = uow.session.get(Team, team_id)
    if team is None or team.archived_at is not None:
        raise InvalidInput(
            "no such team", errors=[FieldError("team_id", "no active team has this id")]
        )
    return team


def check_service_name_free(uow: UnitOfWork, name: str, *, except_id: str | None = None) -> None:
    query = select(Service.id).where(func.lower(Service.name) == name.lower())
    if except_id:
        query = query.where(Service.id != except_id)
    if uow.session.scalar(query):
        raise Conflict(
            "a service with this name exists", errors=[FieldError("name", "already taken")]
        )


def do_create_service(uow: UnitOfWork, actor: Actor, data: ServiceCreate) -> Service:
    require(actor, Role.MANAGER)
    team = check_team_usable(uow, data.team_id)
    check_service_name_free(uow, data.name)
    if data.site_id is not None:
        check_site_usable(uow, data.site_id)
    service = Service(
        site_id=data.site_id,
        name=data.name,
        description=data.description,
        team_id=team.id,
        created_at=uow.now,
        updated_at=uow.now,
    )
    service.team = team
    uow.session.add(service)
    uow.flush()
    append_event(
        uow,
        actor,
        "service.created",
        subject_type="service",
        subject_id=service.id,
        data={"name": service.name, "team_id": team.id, "description": service.description},
    )
    return service


def do_update_service(
    uow: UnitOfWork, actor: Actor, service_id: str, data: ServiceUpdate
) -> Service:
    require(actor, Role.MANAGER)
    service = get_service(uow, service_id)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != service.name:
        check_service_name_free(uow, data.name, except_id=service.id)
        changes["name"] = {"from": service.name, "to": data.name}
        service.name = data.name
    if data.description is not None and data.description != service.description:
        changes["description"] = {"from": service.description, "to": data.description}
        service.description = data.description
    if data.team_id is not None and data.team_id != service.team_id:
        team = check_team_usable(uow, data.team_id)
        changes["team_id"] = {"from": service.team_id, "to": team.id}
        service.team_id = team.id
        service.team = team
    if "site_id" in data.model_fields_set and data.site_id != service.site_id:
        if data.site_id is not None:
            check_site_usable(uow, data.site_id)
        changes["site_id"] = {"from": service.site_id, "to": data.site_id}
        service.site_id = data.site_id
    if changes:
        service.updated_at = uow.now
        append_event(
            uow,
            actor,
            "service.updated",
            subject_type="service",
            subject_id=service.id,
            data=changes,
        )
    return service


def do_archive_service(uow: UnitOfWork, actor: Actor, service_id: str) -> Service:
    require(actor, Role.MANAGER)
    service = get_service(uow, service_id)
    if service.archived_at is None:
        service.archived_at = uow.now
        service.updated_at = uow.now
        append_event(uow, actor, "service.archived", subject_type="service", subject_id=service.id)
    return service


def get_service(uow: UnitOfWork, service_id: str) -> Service:
    service = uow.session.get(Service, service_id, options=[joinedload(Service.team)])
    if service is None:
        raise NotFound("no such service")
    return service


def find_service(uow: UnitOfWork, name_or_id: str) -> Service:
    """The service with this id, else the one with this name (case-insensitively);
    raises :class:`NotFound` when neither exists."""
    with_team = [joinedload(Service.team)]
    service = uow.session.get(Service, name_or_id, options=with_team)
    if service is None:
        service = uow.session.scalar(
            select(Service)
            .options(*with_team)
            .where(func.lower(Service.name) == name_or_id.strip().lower())
        )
    if service is None:
        raise NotFound(f"no service is named or has the id {name_or_id!r}")
    return service


def list_services(
    uow: UnitOfWork,
    *,
    cursor: str | None = None,
    limit: int = 100,
    archived: bool = False,
    team_id: str | None = None,
) -> Page[Service]:
    query = (
        select(Service)
        .where(Service.archived_at.is_not(None) if archived else Service.archived_at.is_(None))
        .options(joinedload(Service.team))
    )
    if team_id:
        query = query.where(Service.team_id == team_id)
    return paginate(
        uow.session, query, sort=Service.name, tiebreak=Service.id, cursor=cursor, limit=limit
    )


def service_out(service: Service) -> ServiceOut:
    return ServiceOut(
        id=service.id,
        name=service.name,
        description=service.description,
        team_id=service.team_id,
        team_name=service.team.name,
        created_at=service.created_at,
        updated_at=service.updated_at,
        archived_at=service.archived_at,
        alert_grouping=service.alert_grouping,
        flap_threshold=service.flap_threshold,
        flap_window_minutes=service.flap_window_minutes,
        site_id=service.site_id,
    )
