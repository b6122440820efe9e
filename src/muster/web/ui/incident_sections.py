"""What the work sections of an incident's page show: tasks, the timeline (with note
bodies as safe HTML), status updates and attachments."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from muster.db.uow import UnitOfWork
from muster.domain.incidents.attachments import list_attachments
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.markdown import render_markdown
from muster.domain.incidents.merge import split_from
from muster.domain.incidents.models import Incident
from muster.domain.incidents.tasks import list_tasks
from muster.domain.incidents.timeline import timeline_page
from muster.domain.incidents.update_schemas import PUBLIC_STATUSES
from muster.domain.incidents.updates import list_updates
from muster.domain.incidents.visibility import can_see
from muster.web.auth import Caller

TIMELINE_SIZE = 200
UPDATES_SHOWN = 20


def markdown_html(text: str | None) -> Markup:
    """Markdown as HTML (the renderer allows no raw HTML and only safe links)."""
    return Markup(render_markdown(text or ""))  # noqa: S704 - sanitised by render_markdown


def safe_html(html: str | None) -> Markup:
    """A timeline note's HTML, already rendered by the safe Markdown renderer."""
    return Markup(html or "")  # noqa: S704 - made by render_markdown


def work_context(
    uow: UnitOfWork, caller: Caller, incident: Incident, before: int | None = None
) -> dict[str, Any]:
    actor = caller.actor
    page = timeline_page(uow, actor, incident.id, limit=TIMELINE_SIZE, before=before)
    origin_id = split_from(uow, incident.id)
    origin = uow.session.get(Incident, origin_id) if origin_id else None
    return {
        "timeline": list(reversed(page.entries)),  # newest first
        "older": page.older,
        "before": before,
        "split_from": origin if origin and can_see(uow, actor, origin) else None,
        "tasks": list_tasks(uow, incident.id),
        "updates": list_updates(uow, actor, incident.id, limit=UPDATES_SHOWN),
        "public_statuses": PUBLIC_STATUSES,
        "attachments": list_attachments(uow, actor, incident.id),
        "is_open": incident.status in OPEN_STATUSES,
        "markdown": markdown_html,
        "note_html": safe_html,
    }
