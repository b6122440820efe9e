"""Pydantic shapes for an incident's regulatory clocks: applying a regime, recording a
fact, recording a submission or a missed deadline's reason, and reading it all back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, StringConstraints

from muster.domain.accounts.schemas import Strict

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
RegimeKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
FactKey = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
]
ClockStatus = Literal["waiting", "running", "submitted", "missed", "not_applicable"]
CLOCK_STATUSES: tuple[str, ...] = ("waiting", "running", "submitted", "missed", "not_applicable")


class RegimeApplyIn(Strict):
    """Mark a regime (by key, e.g. ``gdpr-33``) as applying, and why."""

    regime: RegimeKey
    reason: Reason


class RegimeRemoveIn(Strict):
    reason: Reason


class FactIn(Strict):
    """A clock-starting time (``at``, with a time zone) or a count (``number``): one of
    the two, and why."""

    at: AwareDatetime | None = None
    number: int | None = None
    reason: Reason


class SubmissionIn(Strict):
    """A report sent: when (default now), to whom, its reference; ``late_reason`` when
    sent after the deadline."""

    submitted_at: AwareDatetime | None = None
    recipient: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    late_reason: OptionalText | None = None
    notes: OptionalText = ""


class MissReasonIn(Strict):
    reason: Reason


class AppliedRegimeOut(BaseModel):
    id: str
    regime: str
    regime_name: str
    proposed: bool
    applied_at: datetime
    applied_by: str
    reason: str


class FactOut(BaseModel):
    key: str
    at: datetime | None
    number: int | None
    reason: str
    recorded_at: datetime
    recorded_by: str


class SubmissionOut(BaseModel):
    id: str
    clock_id: str
    submitted_at: datetime
    recipient: str
    reference: str
    document_name: str | None
    document_sha256: str | None
    document_size: int | None
    late: bool
    late_reason: str | None
    notes: str
    recorded_at: datetime
    recorded_by: str


class ClockOut(BaseModel):
    """One report's clock. ``seconds_left`` is negative when overdue; ``pct_elapsed``
    is the share of the period gone (None until the clock starts)."""

    id: str
    incident_id: str
    incident_reference: str
    incident_title: str
    deadline: str  # "<regime key>/<report key>"
    regime: str
    regime_name: str
    proposed: bool
    report: str
    name: str
    recipient: str
    status: ClockStatus
    started_at: datetime | None
    due_at: datetime | None
    seconds_left: int | None
    pct_elapsed: int | None
    rule: str  # how the deadline is counted, in words
    waiting_for: str | None  # what it waits for (a fact, a submission), in words
    late_needs_reason: bool
    reminded_pct: int
    paged_at: datetime | None
    missed_at: datetime | None
    missed_reason: str | None
    submitted_at: datetime | None


class ComplianceOut(BaseModel):
    incident_id: str
    regimes: list[AppliedRegimeOut]
    facts: list[FactOut]
    clocks: list[ClockOut]
    submissions: list[SubmissionOut]
