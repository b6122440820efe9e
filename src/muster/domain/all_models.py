"""Imports every table so ``Base.metadata`` is complete (for Alembic and tests)."""

from muster.db.base import Base
from muster.domain.accounts import models as accounts_models
from muster.domain.alerts import models as alerts_models
from muster.domain.catalog import models as catalog_models
from muster.domain.events import models as events_models
from muster.domain.oncall import models as oncall_models

__all__ = [
    "Base",
    "accounts_models",
    "alerts_models",
    "catalog_models",
    "events_models",
    "oncall_models",
]
