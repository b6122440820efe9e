"""After a drill: each participant's debrief (what went well, what did not, a score 1-5)
and the action items the drill leaves, tracked as review action items are.

Preconditions: debriefs once the run has ended, by its participants or facilitator;
action items by anyone who may respond. Status moves of an action item: ``open`` ⇄
``in_progress``; either → ``done`` or ``wont_do`` (with a reason); back to ``open``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.drills.models import ACTION_STATUSES, Debrief, DrillActionItem
from muster.domain.drills.runs import get_run, record_run_event
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.service import check_user
from muster.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied

MAX_TEXT = 4000


def do_submit_debrief(
    uow: UnitOfWork, actor: Actor, run_id: str, *, went_well: str, went_badly: str, score: int
) -> Debrief:
    """Save (or replace) ``actor``'s answers. Preconditions: the run has ended; the actor
    took part in it (a participant or the facilitator); score 1-5; texts ≤ 4000."""
    run = get_run(uow, run_id)
    if run.status != "ended":
        raise Conflict("the drill has not ended", errors=[FieldError("status", "debriefs come after the drill")])  # fmt: skip
    if actor.id is None or actor.id not in {run.facilitator_id, *run.participants.values()}:
        raise PermissionDenied("only the drill's participants answer its debrief")
    if not 1 <= score <= 5:
        raise InvalidInput("bad score", errors=[FieldError("score", "from 1 to 5")])
    for name, text in (("went_well", went_well), ("went_badly", went_badly)):
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"{name} too long", errors=[FieldError(name, f"at most {MAX_TEXT} characters")])  # fmt: skip
    found = uow.session.scalar(
        select(Debrief).where(Debrief.run_id == run.id, Debrief.user_id == actor.id)
    )
    if found is None:
        found = Debrief(run_id=run.id, user_id=actor.id, created_at=uow.now)
        uow.session.add(found)
    found.went_well, found.went_badly, found.score = went_well.strip(), went_badly.strip(), score
    found.updated_at = uow.now
    uow.flush()
    record_run_event(uow, actor, run, "drill.debrief_given", user_id=actor.id, score=score)
    return found


def debriefs(uow: UnitOfWork, run_id: str) -> Sequence[Debrief]:
    return uow.session.scalars(
        select(Debrief).where(Debrief.run_id == run_id).order_by(Debrief.created_at, Debrief.id)
    ).all()


def do_add_action_item(
    uow: UnitOfWork, actor: Actor, run_id: str, *, title: str, owner_id: str | None = None,
    due_on: date | None = None,
) -> DrillActionItem:  # fmt: skip
    """A follow-up from the drill. Preconditions: responder; a title of 1-300 characters;
    the owner (if any) is an active person."""
    require(actor, Role.RESPONDER)
    run = get_run(uow, run_id)
    title = title.strip()
    if not 1 <= len(title) <= 300:
        raise InvalidInput("bad title", errors=[FieldError("title", "1 to 300 characters")])
    if owner_id:
        check_user(uow, owner_id, field="owner_id")
    number = (uow.session.scalar(select(func.max(DrillActionItem.number))) or 0) + 1
    item = DrillActionItem(
        run_id=run.id, number=number, title=title, owner_id=owner_id or None, due_on=due_on,
        status="open", created_at=uow.now, created_by=actor.label, updated_at=uow.now,
    )  # fmt: skip
    uow.session.add(item)
    uow.flush()
    record_run_event(
        uow, actor, run, "drill.action_item_added", item_id=item.id, number=number, title=title
    )
    return item


def do_set_action_status(
    uow: UnitOfWork, actor: Actor, item_id: str, status: str, reason: str | None = None
) -> DrillActionItem:
    """Move an item; ``wont_do`` needs a reason. Precondition: responder."""
    require(actor, Role.RESPONDER)
    item = uow.session.get(DrillActionItem, item_id)
    if item is None:
        raise NotFound("no such drill action item")
    if status not in ACTION_STATUSES:
        raise InvalidInput("bad status", errors=[FieldError("status", ", ".join(ACTION_STATUSES))])
    if status == "wont_do" and not (reason or "").strip():
        raise InvalidInput("a reason is needed", errors=[FieldError("reason", "say why it will not be done")])  # fmt: skip
    if status != item.status:
        before = item.status
        item.status, item.updated_at = status, uow.now
        item.done_at = uow.now if status == "done" else None
        item.wont_do_reason = (reason or "").strip() if status == "wont_do" else None
        record_run_event(uow, actor, get_run(uow, item.run_id), "drill.action_item_updated",
               item_id=item.id, number=item.number, changes={"status": {"from": before, "to": status}})  # fmt: skip
    return item


def action_items(uow: UnitOfWork, run_id: str) -> Sequence[DrillActionItem]:
    return uow.session.scalars(
        select(DrillActionItem)
        .where(DrillActionItem.run_id == run_id)
        .order_by(DrillActionItem.number)
    ).all()
