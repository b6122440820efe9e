"""The incident lifecycle: which status may follow which, the timestamp each sets, the
order those timestamps must keep, and how long each phase lasted.

triage → investigating → contained → eradicated → recovering → resolved → in_review →
closed. Phases may be skipped forward (not every incident needs eradication); nothing
moves backwards except a reopen, which returns a resolved, in-review, closed or declined
incident to investigating. Declined (not an incident) is open to triage and
investigating; merged only comes from merging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from muster.domain.incidents.models import Incident

PHASES = (
    "triage", "investigating", "contained", "eradicated", "recovering", "resolved",
    "in_review", "closed",
)  # fmt: skip
ACTIVE = PHASES[: PHASES.index("resolved")]
OPEN_STATUSES = ACTIVE  # still being responded to
REOPENABLE = ("resolved", "in_review", "closed", "declined")
FINAL = ("closed", "declined", "merged")
STATUS_LABELS = {
    "triage": "Triage", "investigating": "Investigating", "contained": "Contained",
    "eradicated": "Eradicated", "recovering": "Recovering", "resolved": "Resolved",
    "in_review": "In review", "closed": "Closed", "declined": "Declined", "merged": "Merged",
}  # fmt: skip
# The timestamps that must keep this order (each at or after every earlier one set).
ORDERED_FIELDS = (
    "detected_at", "investigating_at", "contained_at", "eradicated_at", "recovering_at",
    "resolved_at", "in_review_at", "closed_at",
)  # fmt: skip


def timestamp_field(status: str) -> str:
    """The column recording when ``status`` was entered."""
    return "declared_at" if status == "triage" else f"{status}_at"


def allowed_next(status: str) -> tuple[str, ...]:
    """Every status a transition may go to from ``status``."""
    if status in ACTIVE:
        later = PHASES[PHASES.index(status) + 1 : PHASES.index("resolved") + 1]
        declined = ("declined",) if status in ("triage", "investigating") else ()
        return later + declined
    if status == "resolved":
        return ("in_review", "closed", "investigating")
    if status == "in_review":
        return ("closed", "investigating")
    if status in ("closed", "declined"):
        return ("investigating",)
    return ()


def is_reopen(current: str, to: str) -> bool:
    return current in REOPENABLE and to == "investigating"


def ordering_problem(times: dict[str, datetime | None], now: datetime) -> tuple[str, str] | None:
    """The first (field, reason) that breaks the order, or None when the times make sense."""
    earlier: tuple[str, datetime] | None = None
    for field in ORDERED_FIELDS:
        value = times.get(field)
        if value is None:
            continue
        if value > now:
            return field, "cannot be in the future"
        if earlier is not None and value < earlier[1]:
            return field, f"cannot be before {earlier[0]} ({earlier[1].isoformat()})"
        earlier = (field, value)
    detected, declared = times.get("detected_at"), times.get("declared_at")
    if detected is not None and declared is not None and detected > declared:
        return "detected_at", "cannot be after the declaration"
    return None


def times_of(incident: Incident) -> dict[str, datetime | None]:
    fields = (*ORDERED_FIELDS, "declared_at")
    return {f: getattr(incident, f) for f in fields}


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    phase: str
    started_at: datetime
    ended_at: datetime | None  # None: the current phase

    def seconds(self, now: datetime) -> int:
        return int(((self.ended_at or now) - self.started_at).total_seconds())


def phase_spans(incident: Incident) -> list[PhaseSpan]:
    """The phases entered, in order, each ending where the next one entered began."""
    entered: list[tuple[str, datetime]] = []
    for phase in PHASES:
        at = getattr(incident, timestamp_field(phase))
        if at is not None:
            entered.append((phase, at))
    entered.sort(key=lambda pair: pair[1])
    spans: list[PhaseSpan] = []
    for i, (phase, at) in enumerate(entered):
        end = entered[i + 1][1] if i + 1 < len(entered) else None
        if phase in FINAL or (phase == "resolved" and end is None):
            end = end or at
        spans.append(PhaseSpan(phase, at, end))
    return spans
