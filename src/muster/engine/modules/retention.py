"""Retention, at most once an hour: removes what closed incidents no longer keep (see
:mod:`muster.domain.compliance.retention`; the event log is never deleted, it is the
audit record). Off while ``MUSTER_RETENTION_DAYS`` is 0, the default."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import func, select

from muster.config import Settings, evidence_settings, load_settings
from muster.db.uow import UnitOfWork
from muster.domain.compliance.evidence_models import RetentionRun
from muster.domain.compliance.evidence_store import evidence_store
from muster.domain.compliance.retention import run_retention
from muster.domain.incidents.attachments import FileBlobStore

EVERY = timedelta(hours=1)


class Retention:
    name = "retention"

    def __init__(self, settings: Settings | None = None) -> None:
        """``settings`` give the retention period and the stores (default: the
        environment's, read when first needed)."""
        self._settings = settings

    def _settings_now(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def _days(self) -> int:
        # Without settings, only the retention period is read (loading all settings
        # would create the secret key file), until there is something to do.
        if self._settings is None:
            return evidence_settings(os.environ).retention_days
        return self._settings.evidence.retention_days

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        if self._days() <= 0:
            return False
        last = uow.session.scalar(
            select(func.max(RetentionRun.ran_at)).where(RetentionRun.dry_run.is_(False))
        )
        return last is None or now - last >= EVERY

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        if not self.pending(uow, now):
            return 0
        settings = self._settings_now()
        report = run_retention(
            uow,
            retention_days=settings.evidence.retention_days,
            evidence_store=evidence_store(settings),
            attachment_store=FileBlobStore.in_var_dir(settings.var_dir),
        )
        return len(report.incidents)
