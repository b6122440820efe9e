"""A review as a document: Markdown (its text with a header and the feedback summary)
and one self-contained HTML page (styles inline, nothing fetched) for the download and
the PDF. Each export is an ``incident.exported`` event."""

from __future__ import annotations

from html import escape

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor
from muster.domain.exercises.marking import BANNER
from muster.domain.incidents.markdown import render_markdown
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.service import reference
from muster.domain.reviews.feedback import feedback_summary
from muster.domain.reviews.models import Review
from muster.domain.reviews.review_schemas import STATUS_LABELS, FeedbackSummary
from muster.domain.reviews.review_service import get_review

FORMATS = ("md", "html", "pdf")
STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; color: #111; max-width: 50rem; margin: 2rem auto;
       padding: 0 1rem; }
h1, h2, h3 { line-height: 1.2; } table { border-collapse: collapse; }
th, td { border: 1px solid #999; padding: .2rem .5rem; text-align: left; }
.meta { color: #444; } code, pre { background: #f3f3f3; }
"""


def _status_line(review: Review) -> str:
    parts = [f"Status: {STATUS_LABELS[review.status]}", f"version {review.version}"]
    if review.approved_by:
        parts.append(f"approved by {review.approved_by}")
    if review.published_at:
        parts.append(f"published {review.published_at:%Y-%m-%d %H:%M} UTC")
    return "; ".join(parts)


def feedback_markdown(summary: FeedbackSummary) -> str:
    if not summary.count:
        return "## Responder feedback\n\nNo feedback given yet.\n"
    bars = "\n".join(f"- {n}: {summary.distribution[n]}" for n in range(5, 0, -1))
    comments = "\n".join(f"> {c}\n" for c in summary.comments)
    return (
        f"## Responder feedback\n\n{summary.count} answers, average {summary.average} / 5\n\n"
        f"{bars}\n\n{comments}"
    )


def review_markdown(uow: UnitOfWork, incident: Incident, review: Review) -> str:
    summary = feedback_summary(uow, review.id)
    drill = f"**{BANNER}**\n\n" if incident.exercise_run_id else ""  # muster.domain.exercises
    return (
        f"<!-- {reference(incident)} review: {_status_line(review)} -->\n\n{drill}"
        f"{review.body.rstrip()}\n\n{feedback_markdown(summary)}"
    )


def review_html(uow: UnitOfWork, incident: Incident, review: Review) -> str:
    summary = feedback_summary(uow, review.id)
    title = f"{reference(incident)} review: {incident.title}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<p class="meta">{escape(reference(incident))} · {escape(_status_line(review))}</p>'
        + (f"<p><strong>{escape(BANNER)}</strong></p>" if incident.exercise_run_id else "")
        + f"{render_markdown(review.body)}{render_markdown(feedback_markdown(summary))}"
        "</body></html>"
    )


def export_review(
    uow: UnitOfWork, actor: Actor, incident_id: str, fmt: str
) -> tuple[Incident, Review, str]:
    """The review as ``md`` or ``html`` (the PDF prints the HTML), recorded as exported.

    Preconditions: ``actor`` may read the review (published, or a responder)."""
    incident, review = get_review(uow, actor, incident_id)
    text = (
        review_markdown(uow, incident, review)
        if fmt == "md"
        else review_html(uow, incident, review)
    )
    record(uow, actor, incident, "incident.exported", format=f"review-{fmt}", review_id=review.id)
    return incident, review, text
