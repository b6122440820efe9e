"""The kinds, in the order they are applied (each after the kinds it refers to);
deletions run in the reverse order."""

from __future__ import annotations

from muster.domain.config_code.kind import Kind
from muster.domain.config_code.kinds.drill_scenarios import DrillScenariosKind
from muster.domain.config_code.kinds.escalation_policies import EscalationPoliciesKind
from muster.domain.config_code.kinds.holiday_calendars import HolidayCalendarsKind
from muster.domain.config_code.kinds.incident_types import IncidentTypesKind
from muster.domain.config_code.kinds.integrations import IntegrationsKind
from muster.domain.config_code.kinds.maintenance_windows import MaintenanceWindowsKind
from muster.domain.config_code.kinds.playbooks import PlaybooksKind
from muster.domain.config_code.kinds.regimes import RegimesKind
from muster.domain.config_code.kinds.role_types import RoleTypesKind
from muster.domain.config_code.kinds.routing_rules import RoutingRulesKind
from muster.domain.config_code.kinds.schedules import SchedulesKind
from muster.domain.config_code.kinds.services import ServicesKind
from muster.domain.config_code.kinds.severities import SeveritiesKind
from muster.domain.config_code.kinds.sites import SitesKind
from muster.domain.config_code.kinds.teams import TeamsKind
from muster.domain.config_code.kinds.users import UsersKind

KINDS: list[Kind] = [
    UsersKind(),
    TeamsKind(),
    SitesKind(),
    SchedulesKind(),
    EscalationPoliciesKind(),
    ServicesKind(),
    IntegrationsKind(),
    MaintenanceWindowsKind(),
    RoutingRulesKind(),
    SeveritiesKind(),
    IncidentTypesKind(),
    RoleTypesKind(),
    HolidayCalendarsKind(),
    RegimesKind(),
    PlaybooksKind(),
    DrillScenariosKind(),
]
