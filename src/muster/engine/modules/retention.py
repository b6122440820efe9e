"""Retention, at most once an hour: applies the retention policies (see
:mod:`muster.domain.retention.policies`; ``MUSTER_RETENTION_DAYS`` is the evidence
default) in bounded batches. A pass that left more due than a batch is continued at the
next tick; a finished one waits the hour. Off while no policy keeps anything for less
than forever."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import select

from muster.config import Settings, evidence_settings, load_settings
from muster.db.uow import UnitOfWork
from muster.domain.compliance.evidence_models import RetentionRun
from muster.domain.compliance.evidence_store import evidence_store
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.retention.policies import Policies, effective_policies
from muster.domain.retention.run import BATCH, run_policies

EVERY = timedelta(hours=1)


class Retention:
    name = "retention"

    def __init__(self, settings: Settings | None = None, *, batch: int = BATCH) -> None:
        """``settings`` give the evidence default and the stores (default: the
        environment's, read when first needed); ``batch`` bounds each kind per pass."""
        self._settings = settings
        self._batch = batch

    def _settings_now(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def _evidence_default(self) -> int:
        # Without settings, only the retention period is read (loading all settings
        # would create the secret key file), until there is something to do.
        if self._settings is None:
            return evidence_settings(os.environ).retention_days
        return self._settings.evidence.retention_days

    def _policies(self, uow: UnitOfWork) -> Policies:
        return effective_policies(uow, evidence_default=self._evidence_default())

    def pending(self, uow: UnitOfWork, now: datetime) -> bool:
        if not self._policies(uow).active:
            return False
        last = uow.session.execute(
            select(RetentionRun.ran_at, RetentionRun.complete)
            .where(RetentionRun.dry_run.is_(False))
            .order_by(RetentionRun.ran_at.desc())
            .limit(1)
        ).first()
        return last is None or not last.complete or now - last.ran_at >= EVERY

    def run_due(self, uow: UnitOfWork, now: datetime) -> int:
        if not self.pending(uow, now):
            return 0
        settings = self._settings_now()
        report = run_policies(
            uow,
            self._policies(uow),
            evidence_store=evidence_store(settings),
            attachment_store=FileBlobStore.in_var_dir(settings.var_dir),
            batch=self._batch,
        )
        return report.removed
