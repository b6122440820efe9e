"""Frigate snapshots and clips as incident evidence.

An alert raised by a Frigate review links the snapshot and clip of each object it
tracked. When an incident is declared with such an alert's group, or the group is linked
to an incident, each of those files is fetched from the integration's configured Frigate
(:mod:`muster.integrations.frigate_media`, outside any transaction) and kept as a file
evidence item with its SHA-256 (:func:`muster.domain.compliance.evidence.do_record_file`),
its source naming the camera and the review. The engine module
:mod:`muster.engine.modules.frigate_evidence` drives it.

A file is kept once per incident: its evidence file name (``frigate-<object id>-
snapshot.jpg`` / ``-clip.mp4``) says whether it is there already. The attempts at a
file not yet settled are rows (:class:`~muster.domain.physical.models.FrigateMediaFetch`:
how many began, when the next may begin), so an engine restart neither forgets them nor
counts afresh. One that could not be fetched after the configured attempts is noted on
the incident's timeline (``incident.frigate_media_failed``) and not tried again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert, Integration
from muster.domain.compliance.evidence import do_record_file
from muster.domain.compliance.evidence_models import EvidenceItem
from muster.domain.compliance.evidence_schemas import EvidenceMeta
from muster.domain.compliance.evidence_store import Stored
from muster.domain.events.actor import Actor, Via
from muster.domain.events.models import Event
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.incidents.record import record, stream_of
from muster.domain.physical.models import FrigateMediaFetch
from muster.integrations.frigate_media import MediaRef, media_ref

EVENT_TYPES = ("incident.declared", "incident.alert_group_linked")
FAILED = "incident.frigate_media_failed"
COLLECTOR = Actor.system(Via.ENGINE, label="Frigate evidence")
MAX_ALERTS = 50  # Frigate alerts of one group looked at
MAX_FILES = 40  # files one incident event brings


@dataclass(frozen=True, slots=True)
class MediaJob:
    """One file to fetch for one incident."""

    incident_id: str
    integration_id: str
    alert_id: str
    base: str  # the integration's Frigate URL
    ref: MediaRef
    camera: str
    review_id: str

    @property
    def url(self) -> str:
        return self.ref.url(self.base)

    @property
    def key(self) -> tuple[str, str]:
        return self.incident_id, self.ref.filename


def jobs_for(uow: UnitOfWork, event: Event) -> list[MediaJob]:
    """The files an incident event brings (settled ones included; see :func:`unsettled`)."""
    incident_id = str((event.data or {}).get("incident_id") or event.subject_id)
    if event.type == "incident.alert_group_linked":
        groups = [str(event.data.get("group_id"))]
    else:
        groups = list(
            uow.session.scalars(
                select(IncidentAlertGroup.group_id).where(
                    IncidentAlertGroup.incident_id == incident_id
                )
            )
        )
    if not groups:
        return []
    rows = uow.session.execute(
        select(Alert, Integration)
        .join(Integration, Integration.id == Alert.integration_id)
        .where(Alert.group_id.in_(groups), Integration.type == "frigate")
        .order_by(Alert.first_seen, Alert.id)
        .limit(MAX_ALERTS)
    ).all()
    jobs: dict[tuple[str, str], MediaJob] = {}
    for alert, integration in rows:
        base = str(integration.config.get("frigate_url") or "").rstrip("/")
        if not base:
            continue
        camera = str(alert.labels.get("camera") or alert.component or "camera")
        review = str(alert.custom_details.get("review_id") or alert.labels.get("review_id") or "")
        for link in alert.links:
            ref = media_ref(str(link.get("href") or "")) if isinstance(link, dict) else None
            if ref is None:
                continue
            job = MediaJob(incident_id, integration.id, alert.id, base, ref, camera, review)
            jobs.setdefault(job.key, job)
    return list(jobs.values())[:MAX_FILES]


def unsettled(uow: UnitOfWork, jobs: Sequence[MediaJob]) -> list[MediaJob]:
    """Those of ``jobs`` neither kept as evidence nor given up on."""
    if not jobs:
        return []
    incidents = {job.incident_id for job in jobs}
    kept = {
        (incident_id, filename)
        for incident_id, filename in uow.session.execute(
            select(EvidenceItem.incident_id, EvidenceItem.filename).where(
                EvidenceItem.incident_id.in_(incidents),
                EvidenceItem.filename.in_({job.ref.filename for job in jobs}),
            )
        )
    }
    failed = {
        (str(data.get("incident_id")), str(data.get("filename")))
        for data in uow.session.scalars(
            select(Event.data).where(
                Event.stream.in_([stream_of(i) for i in incidents]), Event.type == FAILED
            )
        )
    }
    present = set(uow.session.scalars(select(Incident.id).where(Incident.id.in_(incidents))))
    return [
        job for job in jobs
        if job.key not in kept and job.key not in failed and job.incident_id in present
    ]  # fmt: skip


def do_keep_media(
    uow: UnitOfWork, job: MediaJob, stored: Stored, media_type: str | None
) -> EvidenceItem | None:
    """Record the fetched file as evidence; None (keep nothing) when the incident has it
    already (another engine fetched it meanwhile) or is gone."""
    _forget(uow, job)
    if not unsettled(uow, [job]):
        return None
    kind = "Snapshot" if job.ref.kind == "snapshot" else "Clip"
    meta = EvidenceMeta(
        title=f"{kind} of {job.camera} (Frigate object {job.ref.event_id})"[:300],
        description=(
            f"{kind} of tracked object {job.ref.event_id} on camera {job.camera}, "
            f"Frigate review {job.review_id or 'unknown'}; fetched from {job.url} "
            f"for alert {job.alert_id}."
        ),
        source=f"Frigate camera {job.camera}, review {job.review_id or 'unknown'}"[:300],
    )
    return do_record_file(
        uow, COLLECTOR, job.incident_id, stored, filename=job.ref.filename,
        media_type=media_type or job.ref.media_type, meta=meta,
    )  # fmt: skip


def do_note_failed(uow: UnitOfWork, job: MediaJob, error: str, attempts: int) -> bool:
    """Note on the incident's timeline that the file could not be fetched; False when it
    is settled already."""
    _forget(uow, job)
    if not unsettled(uow, [job]):
        return False
    incident = uow.session.get_one(Incident, job.incident_id)
    record(
        uow, COLLECTOR, incident, FAILED, filename=job.ref.filename, url=job.url,
        kind=job.ref.kind, camera=job.camera, review_id=job.review_id, alert_id=job.alert_id,
        error=error[:500], attempts=attempts,
    )  # fmt: skip
    return True


# ------------------------------------------------------------------- attempts, as rows


def _fetches(uow: UnitOfWork, jobs: Sequence[MediaJob]) -> dict[tuple[str, str], FrigateMediaFetch]:
    if not jobs:
        return {}
    keys = [job.key for job in jobs]
    rows = uow.session.scalars(
        select(FrigateMediaFetch).where(
            tuple_(FrigateMediaFetch.incident_id, FrigateMediaFetch.filename).in_(keys)
        )
    )
    return {(row.incident_id, row.filename): row for row in rows}


def due(uow: UnitOfWork, jobs: Sequence[MediaJob], now: datetime) -> list[MediaJob]:
    """Those of ``jobs`` that may be tried at ``now``: never tried yet, or their next
    attempt's time has come."""
    fetches = _fetches(uow, jobs)
    return [
        job for job in jobs if job.key not in fetches or fetches[job.key].next_attempt_at <= now
    ]


def do_claim(uow: UnitOfWork, jobs: Sequence[MediaJob], now: datetime, hold: timedelta) -> None:
    """Count an attempt beginning at each of ``jobs`` and keep them from being tried
    again before ``now + hold`` (a worker that dies mid-fetch has spent the attempt; the
    file is tried again then). Preconditions: ``jobs`` are :func:`due`; the caller holds
    the module's event cursor, so no other pass claims at the same time."""
    fetches = _fetches(uow, jobs)
    for job in jobs:
        row = fetches.get(job.key)
        if row is None:
            row = FrigateMediaFetch(incident_id=job.incident_id, filename=job.ref.filename,
                                    attempts=0)  # fmt: skip
            uow.session.add(row)
        row.attempts += 1
        row.next_attempt_at = now + hold


def do_put_off(uow: UnitOfWork, job: MediaJob, until: datetime) -> None:
    """The claimed ``job`` was not tried after all (its Frigate was down for an earlier
    file): give its attempt back and wait until ``until``."""
    row = _fetches(uow, [job]).get(job.key)
    if row is not None:
        row.attempts = max(0, row.attempts - 1)
        row.next_attempt_at = until


def do_fetch_failed(
    uow: UnitOfWork, job: MediaJob, error: str, *, permanent: bool, attempts: int,
    backoff: Sequence[timedelta],
) -> int | None:  # fmt: skip
    """Record that the claimed ``job`` failed. A file that can never be fetched
    (``permanent``), or whose claimed attempts reach ``attempts``, is noted on the
    timeline (:func:`do_note_failed`): returns None. Otherwise it waits ``backoff[n-1]``
    after its n-th attempt (the last wait repeating): returns n."""
    if not unsettled(uow, [job]):  # kept or given up on by another worker meanwhile
        _forget(uow, job)
        return None
    row = _fetches(uow, [job]).get(job.key)
    spent = row.attempts if row is not None else 1  # no row: not claimed, a first attempt
    if permanent or spent >= attempts:
        do_note_failed(uow, job, error, spent)
        return None
    if row is None:
        row = FrigateMediaFetch(incident_id=job.incident_id, filename=job.ref.filename,
                                attempts=spent)  # fmt: skip
        uow.session.add(row)
    row.next_attempt_at = uow.now + backoff[min(spent, len(backoff)) - 1]
    row.last_error = error[:500]
    return spent


def _forget(uow: UnitOfWork, job: MediaJob) -> None:
    """The job is settled: its attempts are of no more use."""
    uow.session.execute(
        delete(FrigateMediaFetch).where(
            FrigateMediaFetch.incident_id == job.incident_id,
            FrigateMediaFetch.filename == job.ref.filename,
        )
    )
