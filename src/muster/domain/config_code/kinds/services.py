"""``services/``: services by name, with their team, site (by name), paging (escalation
policy by name, urgency rules), alert handling (grouping, flapping) and whether the
public status page shows them (``public``, under ``public_name``; blank: their name)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.accounts.schemas import Description
from muster.domain.alerts.schemas import GroupingIn
from muster.domain.alerts.settings import AlertSettingsIn, do_update_alert_settings
from muster.domain.catalog.models import Service
from muster.domain.catalog.schemas import ServiceCreate, ServiceName, ServiceUpdate
from muster.domain.catalog.service import do_archive_service, do_create_service, do_update_service
from muster.domain.config_code.kind import Current, FileSchema, Ref, dump_doc
from muster.domain.config_code.kinds.lookup import id_named, live, names_by_id
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.schemas import PolicyName, ServicePagingIn, UrgencyRulesIn
from muster.domain.escalation.service import do_assign_policy
from muster.domain.events.actor import Actor
from muster.domain.incidents.status_settings import (
    ComponentSetting,
    PublicName,
    StatusPageSettings,
    do_set_status_page,
)
from muster.domain.sites.models import Site
from muster.domain.sites.schemas import SiteName
from muster.errors import FieldError, InvalidInput


class ServiceDoc(FileSchema):
    name: ServiceName
    description: Description = ""
    team: ServiceName
    site: SiteName | None = None
    escalation_policy: PolicyName | None = None
    urgency_rules: UrgencyRulesIn = Field(default_factory=UrgencyRulesIn)
    alert_grouping: GroupingIn = Field(default_factory=lambda: GroupingIn(mode="none"))
    flap_threshold: int = Field(default=5, ge=2, le=1000)
    flap_window_minutes: int = Field(default=30, ge=1, le=24 * 60)
    public: bool = False
    public_name: PublicName = ""


def _doc(
    service: Service, teams: dict[str, str], policies: dict[str, str], sites: dict[str, str]
) -> ServiceDoc:
    return ServiceDoc.model_construct(
        name=service.name,
        description=service.description,
        team=teams.get(service.team_id, service.team_id),
        site=sites.get(service.site_id or ""),
        escalation_policy=policies.get(service.escalation_policy_id or ""),
        urgency_rules=UrgencyRulesIn.model_validate(service.urgency_rules or {}),
        alert_grouping=GroupingIn.model_validate(service.alert_grouping or {"mode": "none"}),
        flap_threshold=service.flap_threshold,
        flap_window_minutes=service.flap_window_minutes,
        public=service.public,
        public_name=service.public_name,
    )


class ServicesKind:
    folder: ClassVar[str] = "services"
    key: ClassVar[str] = "name"
    label: ClassVar[str] = "service"
    schema: ClassVar[type[FileSchema]] = ServiceDoc

    def name_of(self, doc: Any) -> str:
        return str(doc.name)

    def current(self, uow: UnitOfWork) -> dict[str, Current]:
        teams, policies = names_by_id(uow, Team), names_by_id(uow, EscalationPolicy)
        sites = names_by_id(uow, Site)
        return {
            s.name: (s.id, dump_doc(_doc(s, teams, policies, sites))) for s in live(uow, Service)
        }

    def references(self, doc: Any) -> list[Ref]:
        assert isinstance(doc, ServiceDoc)
        refs = [Ref(("team",), "teams", doc.team)]
        if doc.escalation_policy:
            refs.append(Ref(("escalation_policy",), "escalation_policies", doc.escalation_policy))
        if doc.site:
            refs.append(Ref(("site",), "sites", doc.site))
        return refs

    def create(self, uow: UnitOfWork, actor: Actor, doc: ServiceDoc) -> str:
        team_id = id_named(uow, Team, doc.team, field="team")
        service = do_create_service(
            uow, actor,
            ServiceCreate(name=doc.name, description=doc.description, team_id=team_id,
                          site_id=_site_id(uow, doc)),
        )  # fmt: skip
        self._settings(uow, actor, service, doc)
        return service.id

    def update(self, uow: UnitOfWork, actor: Actor, object_id: str, doc: ServiceDoc) -> None:
        team_id = id_named(uow, Team, doc.team, field="team")
        service = do_update_service(
            uow, actor, object_id,
            ServiceUpdate(name=doc.name, description=doc.description, team_id=team_id,
                          site_id=_site_id(uow, doc)),
        )  # fmt: skip
        self._settings(uow, actor, service, doc)

    def delete(self, uow: UnitOfWork, actor: Actor, object_id: str) -> None:
        do_archive_service(uow, actor, object_id)

    def _settings(self, uow: UnitOfWork, actor: Actor, service: Service, doc: ServiceDoc) -> None:
        now = _doc(service, {}, {}, {})
        if (now.alert_grouping, now.flap_threshold, now.flap_window_minutes) != (
            doc.alert_grouping,
            doc.flap_threshold,
            doc.flap_window_minutes,
        ):
            do_update_alert_settings(
                uow, actor, service.id,
                AlertSettingsIn(grouping=doc.alert_grouping, flap_threshold=doc.flap_threshold,
                                flap_window_minutes=doc.flap_window_minutes),
            )  # fmt: skip
        policy_id = (
            id_named(uow, EscalationPolicy, doc.escalation_policy, field="escalation_policy")
            if doc.escalation_policy
            else None
        )
        if policy_id != service.escalation_policy_id or now.urgency_rules != doc.urgency_rules:
            do_assign_policy(
                uow, actor, service.id,
                ServicePagingIn(escalation_policy_id=policy_id, urgency_rules=doc.urgency_rules),
            )  # fmt: skip
        if (service.public, service.public_name) != (doc.public, doc.public_name):
            setting = ComponentSetting(
                service_id=service.id, public=doc.public, public_name=doc.public_name
            )
            try:
                do_set_status_page(uow, actor, StatusPageSettings(services=[setting]))
            except InvalidInput as exc:  # its fields are the settings list's: name ours
                raise InvalidInput(exc.detail, errors=[FieldError("public_name", e.reason)
                                                       for e in exc.errors]) from None  # fmt: skip


def _site_id(uow: UnitOfWork, doc: ServiceDoc) -> str | None:
    return id_named(uow, Site, doc.site, field="site") if doc.site else None
