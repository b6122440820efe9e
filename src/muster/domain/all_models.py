"""Imports every table so ``Base.metadata`` is complete (for Alembic and tests)."""

from muster.db.base import Base
from muster.domain.accounts import models as accounts_models
from muster.domain.accounts import sso_models as accounts_sso_models
from muster.domain.alerts import models as alerts_models
from muster.domain.audit import models as audit_models
from muster.domain.catalog import models as catalog_models
from muster.domain.compliance import evidence_models
from muster.domain.compliance import models as compliance_models
from muster.domain.config_code import models as config_code_models
from muster.domain.correlation import models as correlation_models
from muster.domain.drills import models as drills_models
from muster.domain.escalation import models as escalation_models
from muster.domain.events import models as events_models
from muster.domain.incidents import models as incidents_models
from muster.domain.investigation import models as investigation_models
from muster.domain.notify import models as notify_models
from muster.domain.oncall import models as oncall_models
from muster.domain.physical import models as physical_models
from muster.domain.playbooks import models as playbooks_models
from muster.domain.retention import models as retention_models
from muster.domain.reviews import action_models
from muster.domain.reviews import models as reviews_models
from muster.domain.sites import models as sites_models

__all__ = [
    "Base",
    "accounts_models",
    "accounts_sso_models",
    "action_models",
    "alerts_models",
    "audit_models",
    "catalog_models",
    "compliance_models",
    "config_code_models",
    "correlation_models",
    "drills_models",
    "escalation_models",
    "events_models",
    "evidence_models",
    "incidents_models",
    "investigation_models",
    "notify_models",
    "oncall_models",
    "physical_models",
    "playbooks_models",
    "retention_models",
    "reviews_models",
    "sites_models",
]
