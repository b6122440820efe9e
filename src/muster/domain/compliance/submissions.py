"""Reports sent to regulators (or the people affected), and the stated reasons for a
missed deadline.

A submission records when, to whom, its reference and optionally the document sent: its
bytes go to the incidents' :class:`~muster.domain.incidents.attachments.BlobStore` under
their SHA-256, and the row keeps the hash, size and name. Submitting stops the clock's
reminders and starts any report chained on it (NIS2's final report, DORA's
intermediate and final ones). A submission after the deadline is late: it needs a
reason when the report says so (``late_needs_reason``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.clock_schemas import MissReasonIn, SubmissionIn
from muster.domain.compliance.clocks import get_clock, recompute_clocks
from muster.domain.compliance.models import Regime, RegimeReport, Submission
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.attachments import MAX_FILE_BYTES, BlobStore
from muster.domain.incidents.record import record
from muster.errors import Conflict, FieldError, InvalidInput

FUTURE_SLACK = timedelta(minutes=5)


def _document_name(name: str) -> str:
    cleaned = name.strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not cleaned or len(cleaned) > 300 or any(ord(c) < 32 for c in cleaned):
        raise InvalidInput(
            "bad document name", errors=[FieldError("document", "1 to 300 printable characters")]
        )
    return cleaned


def do_record_submission(
    uow: UnitOfWork,
    actor: Actor,
    incident_id: str,
    clock_id: str,
    data: SubmissionIn,
    *,
    store: BlobStore | None = None,
    document: bytes | BinaryIO | None = None,
    document_name: str = "",
) -> Submission:
    """Record a report sent for the clock (``incident.report_submitted``) and recompute
    the clocks.

    Preconditions: responder role; the incident visible, real (an exercise incident's
    submission is refused with :class:`Conflict`) and the clock its own; the
    clock applies (:class:`Conflict` when not applicable); ``submitted_at`` (default now)
    not in the future; after the deadline (and no submission before it), a
    ``late_reason`` when the report needs one;
    a ``document`` needs a ``store`` and a name, and is at most
    :data:`~muster.domain.incidents.attachments.MAX_FILE_BYTES`."""
    require(actor, Role.RESPONDER)
    incident, clock = get_clock(uow, actor, incident_id, clock_id)
    if incident.exercise_run_id is not None:  # muster.domain.exercises
        raise Conflict(
            "this is an exercise incident: nothing is submitted to a regulator for a drill",
            errors=[FieldError("incident", "exercise (drill run); rehearse the draft instead")],
        )
    if clock.status == "not_applicable":
        raise Conflict("this report does not apply to the incident", errors=[FieldError("clock", "not applicable")])  # fmt: skip
    report = uow.session.get_one(RegimeReport, clock.report_id)
    regime = uow.session.get_one(Regime, clock.regime_id)
    when = data.submitted_at or uow.now
    if when > uow.now + FUTURE_SLACK:
        raise InvalidInput("not in the future", errors=[FieldError("submitted_at", "in the future")])  # fmt: skip
    # A later report on a deadline already met (GDPR's information "in phases") is not late.
    met = clock.due_at is not None and uow.session.scalar(
        select(Submission.id)
        .where(Submission.clock_id == clock.id, Submission.submitted_at <= clock.due_at)
        .limit(1)
    )
    late = clock.due_at is not None and when > clock.due_at and met is None
    late_reason = data.late_reason or None
    if late and report.late_needs_reason and not late_reason:
        raise InvalidInput(
            "this report is late: say why",
            errors=[FieldError("late_reason", "required after the deadline")],
        )
    if not late:
        late_reason = None
    row = Submission(
        clock_id=clock.id, incident_id=incident.id, submitted_at=when, recipient=data.recipient,
        reference=data.reference, late_reason=late_reason, notes=data.notes,
        recorded_at=uow.now, recorded_by=actor.label,
    )  # fmt: skip
    if document is not None:
        if store is None:
            raise InvalidInput("documents cannot be stored here", errors=[FieldError("document", "no store")])  # fmt: skip
        row.document_name = _document_name(document_name)
        reader: BinaryIO = io.BytesIO(document) if isinstance(document, bytes) else document
        row.document_sha256, row.document_size = store.put(reader, limit=MAX_FILE_BYTES)
    uow.session.add(row)
    if late and late_reason and clock.missed_at is not None and not clock.missed_reason:
        clock.missed_reason = late_reason  # the late report's reason explains the miss
    uow.flush()
    record(
        uow, actor, incident, "incident.report_submitted", clock_id=clock.id,
        deadline=f"{regime.key}/{report.key}", name=report.name, submitted_at=when,
        recipient=row.recipient, reference=row.reference,
        document_sha256=row.document_sha256, late=late, late_reason=late_reason,
    )  # fmt: skip
    recompute_clocks(uow, actor, incident)
    return row


def do_explain_miss(
    uow: UnitOfWork, actor: Actor, incident_id: str, clock_id: str, data: MissReasonIn
) -> None:
    """State why the clock's deadline was missed (``incident.deadline_miss_explained``);
    a later reason replaces an earlier one (both stay on the timeline).

    Preconditions: responder role; the incident visible and the clock its own; the
    deadline was missed (:class:`Conflict` otherwise); a reason."""
    require(actor, Role.RESPONDER)
    incident, clock = get_clock(uow, actor, incident_id, clock_id)
    if clock.missed_at is None:
        raise Conflict("this deadline was not missed", errors=[FieldError("reason", "not missed")])  # fmt: skip
    report = uow.session.get_one(RegimeReport, clock.report_id)
    regime = uow.session.get_one(Regime, clock.regime_id)
    clock.missed_reason, clock.updated_at = data.reason, uow.now
    record(
        uow, actor, incident, "incident.deadline_miss_explained", clock_id=clock.id,
        deadline=f"{regime.key}/{report.key}", reason=data.reason,
    )  # fmt: skip


def submissions_of(uow: UnitOfWork, incident_id: str) -> Sequence[Submission]:
    """The incident's submissions, oldest first."""
    return uow.session.scalars(
        select(Submission)
        .where(Submission.incident_id == incident_id)
        .order_by(Submission.submitted_at, Submission.id)
    ).all()
