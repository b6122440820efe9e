"""What a drill run creates so its alerts go through the real intake path and page only
its participants.

Usage (from a drill run's start, inside its unit of work)::

    service = exercise_service(uow, actor, run.id, team_id=team.id, title=scenario.title,
                               participant_ids=[...])
    integration = exercise_integration(uow, actor, service, "alertmanager")
    # then parse a payload with that integration type's parser and call
    # muster.domain.alerts.ingest.do_ingest(uow, integration, alerts): the alerts land on
    # the exercise service, marked with the run, and page through its own policy.

Both go through the ordinary commands (``do_create_service``, ``do_create_policy``,
``do_assign_policy``, ``do_create_integration``), so their events are recorded, plus one
``exercise.service_created`` event on the service naming the run. The escalation policy
made for the participants is named after the run and removed by
:func:`muster.domain.exercises.cleanup.do_cleanup_exercise` with the service.

Preconditions: manager role (an engine actor, ``Actor.system(Via.ENGINE)``, has it); the
team is active; participants are active users.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from muster.db.uow import UnitOfWork
from muster.domain.alerts.integrations import do_create_integration
from muster.domain.alerts.models import Integration
from muster.domain.alerts.schemas import IntegrationCreate
from muster.domain.catalog.models import Service
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.escalation.models import EscalationPolicy
from muster.domain.escalation.schemas import LevelIn, PolicyCreate, ServicePagingIn, TargetIn
from muster.domain.escalation.service import do_assign_policy, do_create_policy
from muster.domain.events.actor import Actor
from muster.domain.events.service import append_event
from muster.errors import FieldError, InvalidInput

MAX_NAME = 120


def exercise_name(run_id: str, title: str) -> str:
    """``[EXERCISE 0190ab12] <title>``, cut to a service/policy name's length."""
    return f"[EXERCISE {run_id[-8:]}] {title}"[:MAX_NAME]


def policy_description(run_id: str) -> str:
    """How cleanup recognises the policy made for a run's participants."""
    return f"Pages the participants of exercise run {run_id}."


def exercise_service(
    uow: UnitOfWork, actor: Actor, run_id: str, *, team_id: str, title: str,
    participant_ids: Sequence[str] = (), delay_minutes: int = 5,
) -> Service:  # fmt: skip
    """Create the run's exercise service (owned by ``team_id``); with ``participant_ids``
    also an escalation policy paging them all at level 1 (repeated every
    ``delay_minutes`` until acknowledged, at most twice more), assigned to the service.
    Without participants the service pages nobody (tabletop runs)."""
    if not run_id or len(run_id) > 36:
        raise InvalidInput("bad run id", errors=[FieldError("run_id", "1 to 36 characters")])
    name = exercise_name(run_id, title)
    service = do_create_service(
        uow, actor,
        ServiceCreate(name=name, description=f"Exercise service of drill run {run_id}.",
                      team_id=team_id),
    )  # fmt: skip
    service.exercise_run_id = run_id
    policy: EscalationPolicy | None = None
    if participant_ids:
        policy = do_create_policy(uow, actor, PolicyCreate(
            name=name, description=policy_description(run_id), team_id=team_id,
            repeat_count=2,
            levels=[LevelIn(delay_minutes=delay_minutes,
                            targets=[TargetIn(type="user", id=u) for u in dict.fromkeys(participant_ids)])],
        ))  # fmt: skip
        do_assign_policy(uow, actor, service.id, ServicePagingIn(escalation_policy_id=policy.id))
    append_event(uow, actor, "exercise.service_created", subject_type="service",
                 subject_id=service.id,
                 data={"run_id": run_id, "name": name,
                       "escalation_policy_id": policy.id if policy else None})  # fmt: skip
    return service


def exercise_integration(
    uow: UnitOfWork, actor: Actor, service: Service, type: str, *, name: str | None = None,
    config: dict[str, Any] | None = None,
) -> Integration:  # fmt: skip
    """Create an integration of ``type`` (any intake format) on the exercise ``service``;
    it carries the service's run. Alerts sent through it (with its key, to its real
    endpoint, or by ``do_ingest``) are exercise."""
    if service.exercise_run_id is None:
        raise InvalidInput(
            "not an exercise service",
            errors=[FieldError("service_id", "exercise integrations go on exercise services")],
        )
    try:
        data = IntegrationCreate.model_validate(
            {"type": type, "name": name, "config": config or {}}
        )
    except ValidationError as error:
        raise InvalidInput(
            "bad integration", errors=[FieldError("type", f"{type!r}: {error.errors()[0]['msg']}")]
        ) from None
    integration = do_create_integration(uow, actor, service.id, data)
    integration.exercise_run_id = service.exercise_run_id
    return integration
