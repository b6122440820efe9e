"""What each immediate step kind does, through the incident's own commands (so each
change is the same event a person's would be, by the playbook's engine actor).

A handler takes the step's context and its validated definition, renders its templates
(no secrets: only actions see those), acts, and returns the step's output (what later
steps read as ``steps.<name>``) and one line of detail for the timeline. A precondition
that does not hold raises a :class:`muster.errors.MusterError`, which fails the step.
Waits, approvals and actions span time and live in ``execute`` and ``actions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.compliance.clock_schemas import FactIn, RegimeApplyIn
from muster.domain.compliance.clocks import applied_regimes, do_apply_regime, facts_of
from muster.domain.compliance.facts import do_record_fact
from muster.domain.events.actor import Actor
from muster.domain.incidents.models import Incident
from muster.domain.incidents.participants import do_add_participant
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import do_assign_role, holder
from muster.domain.incidents.schemas import IncidentUpdate
from muster.domain.incidents.service import do_update_incident
from muster.domain.incidents.subscriptions import subscribers_of
from muster.domain.incidents.task_schemas import TaskIn
from muster.domain.incidents.tasks import do_create_task
from muster.domain.incidents.update_schemas import InternalUpdateIn, PublicUpdateIn
from muster.domain.incidents.updates import do_post_update
from muster.domain.incidents.visibility import person_may_see
from muster.domain.notify.incident_updates import update_method
from muster.domain.notify.models import AnnouncementChannel
from muster.domain.notify.outbox import queue_announcement, queue_notice
from muster.domain.playbooks import schemas as s
from muster.domain.playbooks.models import PlaybookRun, RunStep
from muster.domain.playbooks.step_targets import (
    declarer_of,
    find_user,
    on_call_user,
    policy_first_reached,
)
from muster.domain.playbooks.templating import render
from muster.errors import Conflict, FieldError, InvalidInput

PLAYBOOK_PAGED = "incident.playbook_paged"


@dataclass
class StepContext:
    uow: UnitOfWork
    actor: Actor
    run: PlaybookRun
    row: RunStep
    incident: Incident
    values: dict[str, Any]  # what templates see
    now: datetime

    def text(self, template: str, field: str) -> str:
        return render(template, self.values, field=f"steps.{self.row.name}.{field}")

    def about(self) -> dict[str, Any]:
        """What every event of this step carries."""
        return {"run_id": self.run.id, "playbook_id": self.run.playbook_id,
                "name": self.run.playbook.name, "step": self.row.name}  # fmt: skip


@dataclass
class Result:
    output: dict[str, Any]
    detail: str


def _invalid(exc: ValidationError, field: str) -> InvalidInput:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or field
    return InvalidInput(f"{field}: {where}: {first.get('msg')}",
                        errors=[FieldError(field, str(first.get("msg")))])  # fmt: skip


def tasks(ctx: StepContext, step: s.TasksStep) -> Result:
    ids: list[str] = []
    unowned: list[str] = []
    for i, item in enumerate(step.tasks):
        owner = None
        if item.owner_role:
            held = holder(ctx.uow, ctx.incident.id, item.owner_role)
            owner = held.user_id if held else None
            if owner is None:
                unowned.append(item.owner_role)
        due = (
            ctx.now + timedelta(minutes=item.due_minutes) if item.due_minutes is not None else None
        )
        try:
            data = TaskIn(title=ctx.text(item.title, f"tasks.{i}.title"),
                          description=ctx.text(item.description, f"tasks.{i}.description"),
                          owner_id=owner, due_at=due, phase=item.phase)  # fmt: skip
        except ValidationError as exc:
            raise _invalid(exc, f"tasks.{i}") from None
        source = f"playbook {ctx.run.playbook.name}"
        ids.append(do_create_task(ctx.uow, ctx.actor, ctx.incident.id, data, source=source).id)
    detail = f"{len(ids)} task{'s' if len(ids) != 1 else ''} created"
    if unowned:
        detail += f"; unowned, nobody holds: {', '.join(sorted(set(unowned)))}"
    return Result({"task_ids": ids, "count": len(ids)}, detail)


def assign_role(ctx: StepContext, step: s.AssignRoleStep) -> Result:
    if step.to == "user":
        if not step.user:
            raise InvalidInput("no person named", errors=[FieldError("user", "required")])
        user_id = find_user(ctx.uow, ctx.text(step.user, "user")).id
    elif step.to == "on_call":
        if not step.schedule:
            raise InvalidInput("no schedule named", errors=[FieldError("schedule", "required")])
        user_id = on_call_user(ctx.uow, ctx.text(step.schedule, "schedule"), ctx.now)
    else:
        declarer = declarer_of(ctx.uow, ctx.incident)
        if declarer is None:
            raise InvalidInput("the incident was not declared by a person who is still active",
                               errors=[FieldError("to", "no declarer")])  # fmt: skip
        user_id = declarer.id
    user = ctx.uow.session.get_one(User, user_id)
    try:
        do_assign_role(ctx.uow, ctx.actor, ctx.incident.id, step.role, user_id)
    except Conflict:
        return Result({"user_id": user_id, "user": user.email}, f"{user.name} already holds {step.role}")  # fmt: skip
    return Result({"user_id": user_id, "user": user.email}, f"{step.role}: {user.name}")


def page(ctx: StepContext, step: s.PageStep) -> Result:
    ref = ctx.text(step.ref, "ref")
    if step.target == "user":
        user_ids = [find_user(ctx.uow, ref, field="ref").id]
    elif step.target == "schedule":
        user_ids = [on_call_user(ctx.uow, ref, ctx.now, field="ref")]
    else:
        user_ids = policy_first_reached(ctx.uow, ref, ctx.now)
    message = ctx.text(step.message, "message") if step.message else ""
    record(ctx.uow, ctx.actor, ctx.incident, PLAYBOOK_PAGED, **ctx.about(), user_ids=user_ids,
           target=step.target, ref=ref, message=message)  # fmt: skip
    return Result({"user_ids": user_ids}, f"paged {len(user_ids)} ({step.target} {ref})")


def add_participant(ctx: StepContext, step: s.AddParticipantStep) -> Result:
    user = find_user(ctx.uow, ctx.text(step.user, "user"))
    try:
        do_add_participant(ctx.uow, ctx.actor, ctx.incident.id, user.id, page=step.page)
    except Conflict:
        return Result({"user_id": user.id}, f"{user.name} already takes part")
    return Result({"user_id": user.id}, f"added {user.name}" + (" (paged)" if step.page else ""))


def notify(ctx: StepContext, step: s.NotifyStep) -> Result:
    subject = ctx.text(step.subject, "subject")[:300]
    text = ctx.text(step.text, "text")
    key = f"playbook-step:{ctx.row.id}"
    channels = [ctx.text(ref, f"channels.{i}") for i, ref in enumerate(step.channels)]
    people: list[User] = []
    if step.stakeholders:
        for sub in subscribers_of(ctx.uow, ctx.incident):
            if sub.subscriber_type == "channel":
                channels.append(sub.subscriber_id)
            else:
                user = ctx.uow.session.get(User, sub.subscriber_id)
                if user is not None and user.archived_at is None:
                    people.append(user)
    told, held_back = 0, 0
    for channel_id in dict.fromkeys(channels):
        channel = ctx.uow.session.get(AnnouncementChannel, channel_id)
        if channel is None or channel.removed_at is not None:
            raise InvalidInput("no such channel",
                               errors=[FieldError("channels", f"no channel {channel_id!r}")])  # fmt: skip
        if ctx.incident.restricted:  # a channel is outside: it never hears of these
            held_back += 1
            continue
        queue_announcement(ctx.uow, channel, key, subject, text, None,
                           incident_id=ctx.incident.id)  # fmt: skip
        told += 1
    for user in people:
        method = None
        if person_may_see(ctx.uow, ctx.incident, user):
            method = update_method(ctx.uow, user)
        if method is None:
            held_back += 1
            continue
        queue_notice(ctx.uow, method, "announce", f"{key}|{user.id}", subject=subject,
                     text=text, extra={"incident_id": ctx.incident.id,
                                       "path": f"/incidents/{ctx.incident.id}"})  # fmt: skip
        told += 1
    detail = f"notified {told}" + (f", {held_back} held back (restricted or unreachable)" if held_back else "")  # fmt: skip
    return Result({"notified": told, "subject": subject}, detail)


def post_update(ctx: StepContext, step: s.PostUpdateStep) -> Result:
    data: InternalUpdateIn | PublicUpdateIn
    try:
        if step.update == "internal":
            data = InternalUpdateIn(conditions=ctx.text(step.conditions, "conditions"),
                                    actions=ctx.text(step.actions, "actions"),
                                    needs=ctx.text(step.needs, "needs"))  # fmt: skip
        else:
            data = PublicUpdateIn(kind="public", body=ctx.text(step.body, "body"),
                                  public_status=step.public_status or "investigating")  # fmt: skip
    except ValidationError as exc:
        raise _invalid(exc, "update") from None
    row = do_post_update(ctx.uow, ctx.actor, ctx.incident.id, data)
    return Result({"update_id": row.id}, f"{step.update} update posted")


def set_field(ctx: StepContext, step: s.SetFieldStep) -> Result:
    value = step.value
    if isinstance(value, str):
        value = ctx.text(value, "value")
    tags = list(ctx.incident.tags or [])
    change: dict[str, Any]
    if step.field == "add_tag":
        change = {"tags": tags if str(value) in tags else [*tags, str(value)]}
    elif step.field == "remove_tag":
        change = {"tags": [t for t in tags if t != str(value)]}
    else:
        change = {step.field: value}
    try:
        data = IncidentUpdate.model_validate(change)
    except ValidationError as exc:
        raise _invalid(exc, "value") from None
    do_update_incident(ctx.uow, ctx.actor, ctx.incident.id, data)
    return Result({"field": step.field, "value": value}, f"{step.field}: {value}")


def apply_regime(ctx: StepContext, step: s.ApplyRegimeStep) -> Result:
    reason = ctx.text(step.reason, "reason")
    applied = any(r.key == step.regime for _, r in applied_regimes(ctx.uow, ctx.incident.id))
    if not applied:
        try:
            data = RegimeApplyIn(regime=step.regime, reason=reason)
        except ValidationError as exc:
            raise _invalid(exc, "reason") from None
        do_apply_regime(ctx.uow, ctx.actor, ctx.incident.id, data)
    known = facts_of(ctx.uow, ctx.incident.id)
    times = {"now": ctx.now, "detected": ctx.incident.detected_at,
             "declared": ctx.incident.declared_at}  # fmt: skip
    recorded: dict[str, str] = {}
    for key, source in step.facts.items():
        if key in known:
            continue
        at = min(times[source], ctx.now)
        do_record_fact(ctx.uow, ctx.actor, ctx.incident.id, key,
                       FactIn(at=at, reason=f"{reason} ({key}: the incident's {source} time)"))  # fmt: skip
        recorded[key] = at.isoformat()
    detail = f"{step.regime} {'already applied' if applied else 'applied'}"
    if recorded:
        detail += "; " + ", ".join(recorded)
    return Result({"regime": step.regime, "applied": not applied, "facts": recorded}, detail)


Handler = Callable[[StepContext, Any], Result]
HANDLERS: dict[str, Handler] = {
    "tasks": tasks, "assign_role": assign_role, "page": page,
    "add_participant": add_participant, "notify": notify, "post_update": post_update,
    "set_field": set_field, "apply_regime": apply_regime,
}  # fmt: skip
