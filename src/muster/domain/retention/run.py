"""One retention pass over every kind with a policy (see
:mod:`muster.domain.retention.policies`), in bounded batches.

Each pass is recorded as a :class:`RetentionRun` with its counts per kind; a pass that
removed anything also appends ``retention.ran`` (stream ``retention``) with those counts,
so the audit log says what retention removed and when. A kind with more due than one
batch leaves the run marked incomplete; the next pass goes on where it stopped (every
query skips what is gone, so a pass repeated or interrupted removes nothing twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.compliance.evidence_models import RetentionRun
from muster.domain.compliance.evidence_store import EvidenceStore
from muster.domain.compliance.retention import RETENTION, run_retention
from muster.domain.events.actor import Actor
from muster.domain.events.service import append_event
from muster.domain.incidents.attachments import FileBlobStore
from muster.domain.purge import Purge
from muster.domain.retention.policies import STREAM, Policies
from muster.domain.retention.scope import retention_scope
from muster.domain.retention.sweep_alerts import sweep_alerts, sweep_raw_payloads
from muster.domain.retention.sweep_incidents import count_held, due_incidents, remove_incidents
from muster.domain.retention.sweep_notifications import sweep_notifications

BATCH = 500
REMOVED_KEYS = ("alerts", "raw_payloads", "incidents_removed", "notifications")


@dataclass
class PassReport:
    run_id: str | None
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    complete: bool = True

    @property
    def removed(self) -> int:
        """How many things went (evidence: incidents treated)."""
        return sum(self.counts.get(k, 0) for k in REMOVED_KEYS) + self.counts.get("incidents", 0)


def run_policies(
    uow: UnitOfWork,
    policies: Policies,
    *,
    evidence_store: EvidenceStore,
    attachment_store: FileBlobStore,
    batch: int = BATCH,
    dry_run: bool = False,
    actor: Actor = RETENTION,
) -> PassReport:
    """Apply every active policy once. A dry run counts (up to a batch per kind) and
    changes nothing but the run's record."""
    report = PassReport(run_id=None, dry_run=dry_run)
    counts = report.counts
    scope = retention_scope(uow)
    purge = Purge(uow)

    def cutoff(kind: str) -> timedelta | None:
        days = policies.of(kind)
        return timedelta(days=days) if days > 0 else None

    if (age := cutoff("incidents")) is not None:
        due, more = due_incidents(uow, scope, uow.now - age, batch)
        counts["incidents_held"] = count_held(uow, scope, uow.now - age)
        if dry_run:
            counts["incidents_removed"] = len(due)
        else:
            counts["incidents_removed"], counts["incident_notifications"], counts["events_pruned"] = (
                remove_incidents(uow, actor, purge, due, evidence_store=evidence_store,
                                 attachment_store=attachment_store))  # fmt: skip
        report.complete &= not more
    if (age := cutoff("alerts")) is not None:
        counts["alerts"], counts["alert_groups"], more = sweep_alerts(
            uow, purge, uow.now - age, batch, dry_run
        )
        report.complete &= not more
    if (age := cutoff("raw_payloads")) is not None:
        counts["raw_payloads"], more = sweep_raw_payloads(uow, scope, uow.now - age, batch, dry_run)
        report.complete &= not more
    if (age := cutoff("notifications")) is not None:
        counts["notifications"], more = sweep_notifications(
            uow, purge, scope, uow.now - age, batch, dry_run
        )
        report.complete &= not more
    purge.forget_loaded()
    if (days := policies.of("evidence")) > 0:
        evidence = run_retention(uow, retention_days=days, evidence_store=evidence_store,
                                 attachment_store=attachment_store, dry_run=dry_run,
                                 actor=actor, record_run=False)  # fmt: skip
        counts.update(evidence.counts)
    run = RetentionRun(ran_at=uow.now, dry_run=dry_run, counts=counts, complete=report.complete)
    uow.session.add(run)
    uow.flush()
    report.run_id = run.id
    if not dry_run and (report.removed or counts.get("events_pruned")):
        append_event(uow, actor, "retention.ran", subject_type="retention_run", subject_id=run.id,
                     stream=STREAM, data={"counts": counts, "complete": report.complete,
                                          "policies": policies.days})  # fmt: skip
    return report


def recent_runs(uow: UnitOfWork, limit: int = 20) -> list[RetentionRun]:
    """The latest passes, newest first."""
    return list(
        uow.session.scalars(select(RetentionRun).order_by(RetentionRun.ran_at.desc()).limit(limit))
    )
