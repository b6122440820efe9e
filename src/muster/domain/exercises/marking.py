"""The EXERCISE mark on what people read: messages, pages and exports.

Every outgoing message about exercise work (a page for an exercise alert group, a notice
about an exercise incident) is marked by :func:`mark_outgoing` when it is composed
(:mod:`muster.domain.notify.compose`): ``[EXERCISE]`` before the subject, the SMS and the
chat text, a first line saying it is a drill, a spoken warning on calls, a banner in
HTML, and ``"exercise": true`` with the run id in webhook data. Pages and exports use
:data:`BANNER` / :func:`prefix`.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.incidents.models import Incident
from muster.domain.notify.jobs import Outgoing
from muster.domain.notify.models import OutboxMessage

TAG = "[EXERCISE]"
BANNER = "EXERCISE - this is a drill, not a real incident."
VOICE = "This is an exercise, not a real incident."


def prefix(text: str, run_id: str | None) -> str:
    """``[EXERCISE] text`` for exercise work (run id set), ``text`` unchanged otherwise."""
    if run_id is None or text.startswith(TAG):
        return text
    return f"{TAG} {text}"


def mark_outgoing(message: Outgoing, run_id: str | None) -> Outgoing:
    """The message marked EXERCISE when ``run_id`` is set; unchanged otherwise."""
    if run_id is None:
        return message
    banner_html = (
        '<p role="note" style="background:#7a1f00;color:#fff;padding:8px;font-weight:bold">'
        f"{html.escape(BANNER)}</p>"
    )
    return dataclasses.replace(
        message,
        subject=prefix(message.subject, run_id),
        text=f"{BANNER}\n\n{message.text}",
        html=None if message.html is None else banner_html + message.html,
        short=prefix(message.short, run_id) if message.short else message.short,
        voice=f"{VOICE} {message.voice}" if message.voice else message.voice,
        data={**message.data, "exercise": True, "exercise_run_id": run_id},
    )


def message_run(uow: UnitOfWork, rows: Sequence[OutboxMessage]) -> str | None:
    """The drill run the outbox ``rows`` (one message) are about, or None (real): from
    their alert groups' services, else the incident their payload names."""
    group_ids = [r.group_id for r in rows if r.group_id]
    if group_ids:
        run = uow.session.scalar(
            select(Service.exercise_run_id)
            .join(AlertGroup, AlertGroup.service_id == Service.id)
            .where(AlertGroup.id.in_(group_ids), Service.exercise_run_id.is_not(None))
            .limit(1)
        )
        if run is not None:
            return run
    incident_ids = {
        str(r.payload["incident_id"])
        for r in rows
        if isinstance(r.payload, dict) and r.payload.get("incident_id")
    }
    if not incident_ids:
        return None
    return uow.session.scalar(
        select(Incident.exercise_run_id)
        .where(Incident.id.in_(incident_ids), Incident.exercise_run_id.is_not(None))
        .limit(1)
    )
