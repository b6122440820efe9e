"""Dry-running a playbook against an incident: which steps would run or be skipped (and
why), and with what values — writing nothing.

Templates render over the incident as it is now. Outputs of earlier steps do not exist
yet, so ``steps.<name>.<output>`` shows as ``<name.output>``; secrets show as
``[secret]`` (a name that is not in the store is an error, as it would be in a run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.playbooks.conditions import explain, facts_of, holds
from muster.domain.playbooks.models import Playbook, Secret
from muster.domain.playbooks.runs import has_run
from muster.domain.playbooks.schemas import PlaybookDef
from muster.domain.playbooks.service import current_version, definition_of, get_playbook
from muster.domain.playbooks.templating import (
    REDACTED,
    TemplateProblem,
    context_for,
    render_value,
)

_NOT_RENDERED = ("name", "kind", "when", "until")


@dataclass(frozen=True)
class StepPreview:
    """One step as it would go: ``would`` is ``run``, ``skip`` (its ``when`` does not
    hold) or ``fail`` (a template does not render); ``rendered`` holds its values."""

    name: str
    kind: str
    would: str
    why: str
    rendered: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttachPreview:
    """Whether the playbook's own conditions hold on the incident now."""

    holds: bool
    why: str
    already_ran: bool


class _Output:
    """An earlier step's output that a dry-run cannot know: renders as ``<step.name>``."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __getattr__(self, name: str) -> _Output:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Output(f"{self.path}.{name}")

    def __getitem__(self, name: object) -> _Output:
        return _Output(f"{self.path}.{name}")

    def __str__(self) -> str:
        return f"<{self.path}>"


def dry_run(uow: UnitOfWork, actor: Actor, playbook_id: str, incident_id: str) -> list[StepPreview]:
    """Each step of the playbook's current version as it would go on the incident now.
    Preconditions: the incident is visible to ``actor``. Writes nothing."""
    incident = get_visible_incident(uow, actor, incident_id)
    playbook = get_playbook(uow, playbook_id)
    definition = definition_of(current_version(uow, playbook))
    return preview_steps(uow, definition, incident)


def preview_steps(
    uow: UnitOfWork, definition: PlaybookDef, incident: Incident
) -> list[StepPreview]:
    """:func:`dry_run` for a definition not necessarily saved (the editor's draft)."""
    now = uow.now
    facts = facts_of(uow, incident)
    secrets = {name: REDACTED for name in uow.session.scalars(select(Secret.name))}
    earlier: dict[str, Any] = {}
    context = context_for(uow, incident, {})
    previews: list[StepPreview] = []
    for step in definition.steps:
        context["steps"] = dict(earlier)
        values = {
            k: v
            for k, v in step.model_dump(mode="json", by_alias=True).items()
            if k not in _NOT_RENDERED
        }
        if not holds(step.when, facts, now):
            why = f"skipped: {explain(step.when)} does not hold"
            previews.append(StepPreview(step.name, step.kind, "skip", why, values))
            continue
        try:
            rendered = render_value(
                values,
                context,
                secrets=secrets if step.kind == "action" else None,
                field=f"steps.{step.name}",
            )
        except TemplateProblem as exc:
            previews.append(StepPreview(step.name, step.kind, "fail", exc.detail, values))
            earlier[step.name] = _Output(step.name)  # later steps still preview
            continue
        why = "no condition" if step.when is None else f"{explain(step.when)} holds"
        previews.append(StepPreview(step.name, step.kind, "run", why, rendered))
        earlier[step.name] = _Output(step.name)
    return previews


def attach_preview(
    uow: UnitOfWork, actor: Actor, playbook_id: str, incident_id: str
) -> AttachPreview:
    """Whether the playbook would attach to the incident by its conditions now."""
    incident = get_visible_incident(uow, actor, incident_id)
    playbook: Playbook = get_playbook(uow, playbook_id)
    definition = definition_of(current_version(uow, playbook))
    ok = holds(definition.conditions, facts_of(uow, incident), uow.now)
    text = explain(definition.conditions)
    why = (
        f"{text} {'holds' if ok else 'does not hold'}" if definition.conditions else "no condition"
    )
    return AttachPreview(ok, why, has_run(uow, playbook.id, incident.id))
