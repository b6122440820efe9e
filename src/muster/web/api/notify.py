"""/api/v1/users/{id}/contact-methods, /api/v1/users/{id}/notification-rules,
/api/v1/notifications (the outbox's history) and team/service announcement channels.

Everyone manages their own contact methods and rules; admins anyone's.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import select

from muster.db.pagination import paginate
from muster.domain.accounts.permissions import require_self_or
from muster.domain.events.actor import Role
from muster.domain.notify import announce
from muster.domain.notify import service as notify
from muster.domain.notify.models import OutboxMessage
from muster.domain.notify.plan import URGENCIES, warnings_for
from muster.domain.notify.schemas import (
    ChannelCreate,
    ChannelOut,
    CodeIn,
    MethodCreate,
    MethodOut,
    MethodUpdate,
    OutboxOut,
    RuleCreate,
    RuleOut,
    RulesOut,
    StepOut,
)
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context

router = APIRouter(tags=["notifications"], responses=PROBLEM_RESPONSES)
METHODS = "/users/{user_id}/contact-methods"
VIEWER = Depends(api_caller(Role.VIEWER))


@router.get(METHODS, response_model=ListOut[MethodOut], summary="A person's contact methods")
def list_methods(
    user_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> ListOut[MethodOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = notify.list_methods(uow, caller.actor, user_id)
        return ListOut(items=[MethodOut.model_validate(m) for m in rows])


@router.post(METHODS, response_model=MethodOut, status_code=201, summary="Add a contact method")
def add_method(
    user_id: str, body: MethodCreate, response: Response, caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> MethodOut:  # fmt: skip
    """Added unverified: send a code (``/send-code``) and enter it (``/verify``). Admins may
    add it verified (``"verified": true``)."""
    with ctx.db.unit_of_work() as uow:
        method = notify.do_add_method(uow, caller.actor, user_id, body)
        uow.commit()
        response.headers["Location"] = f"/api/v1{METHODS.format(user_id=user_id)}/{method.id}"
        return MethodOut.model_validate(method)


@router.get(METHODS + "/{method_id}", response_model=MethodOut, summary="One contact method")
def show_method(
    user_id: str, method_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> MethodOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return MethodOut.model_validate(notify.get_method(uow, caller.actor, user_id, method_id))


@router.patch(METHODS + "/{method_id}", response_model=MethodOut, summary="Edit a contact method")
def update_method(
    user_id: str, method_id: str, body: MethodUpdate, caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> MethodOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        method = notify.do_update_method(uow, caller.actor, user_id, method_id, body)
        uow.commit()
        return MethodOut.model_validate(method)


@router.delete(METHODS + "/{method_id}", status_code=204, summary="Remove a contact method")
def remove_method(
    user_id: str, method_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        notify.do_remove_method(uow, caller.actor, user_id, method_id)
        uow.commit()
    return Response(status_code=204)


@router.post(METHODS + "/{method_id}/send-code", response_model=MethodOut,
             summary="Send a verification code through the method")  # fmt: skip
def send_code(
    user_id: str, method_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> MethodOut:
    with ctx.db.unit_of_work() as uow:
        method = notify.do_send_code(uow, caller.actor, user_id, method_id)
        uow.commit()
        return MethodOut.model_validate(method)


@router.post(METHODS + "/{method_id}/verify", response_model=MethodOut,
             summary="Verify with the code received (5 tries, 10 minutes)")  # fmt: skip
def verify(
    user_id: str, method_id: str, body: CodeIn, caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> MethodOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        problem = notify.do_verify(uow, caller.actor, user_id, method_id, body.code)
        uow.commit()  # a wrong code counts, even though it is refused
        if problem:
            raise notify.code_problem(problem)
        return MethodOut.model_validate(notify.get_method(uow, caller.actor, user_id, method_id))


@router.post(METHODS + "/{method_id}/mark-verified", response_model=MethodOut,
             summary="Mark verified without a code (admin)")  # fmt: skip
def mark_verified(
    user_id: str, method_id: str, caller: Caller = Depends(api_caller(Role.ADMIN)),
    ctx: AppContext = Depends(app_context),
) -> MethodOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        method = notify.do_mark_verified(uow, caller.actor, user_id, method_id)
        uow.commit()
        return MethodOut.model_validate(method)


@router.post(METHODS + "/{method_id}/test", response_model=MethodOut, status_code=202,
             summary="Send a test message (verified methods, one a minute)")  # fmt: skip
def send_test(
    user_id: str, method_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> MethodOut:
    with ctx.db.unit_of_work() as uow:
        method = notify.do_send_test(uow, caller.actor, user_id, method_id)
        uow.commit()
        return MethodOut.model_validate(method)


RULES = "/users/{user_id}/notification-rules"


@router.get(RULES, response_model=RulesOut, summary="Rules, what a page would do, warnings")
def list_rules(
    user_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> RulesOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rules = notify.list_rules(uow, caller.actor, user_id)
        methods, views = notify.views(uow, user_id)
        effective = {
            urgency: [
                StepOut(
                    contact_method_id=s.method_id,
                    type=s.method_type,
                    delay_minutes=s.delay_minutes,
                    rule_id=s.rule_id,
                )
                for s in notify.effective_steps(uow, user_id, urgency)
            ]
            for urgency in URGENCIES
        }
        return RulesOut(
            items=[RuleOut.model_validate(r) for r in rules],
            effective=effective,
            warnings=warnings_for(methods, views),
        )


@router.post(RULES, response_model=RuleOut, status_code=201, summary="Add a notification rule")
def add_rule(
    user_id: str, body: RuleCreate, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> RuleOut:
    with ctx.db.unit_of_work() as uow:
        rule = notify.do_add_rule(uow, caller.actor, user_id, body)
        uow.commit()
        return RuleOut.model_validate(rule)


@router.delete(RULES + "/{rule_id}", status_code=204, summary="Remove a notification rule")
def remove_rule(
    user_id: str, rule_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        notify.do_remove_rule(uow, caller.actor, user_id, rule_id)
        uow.commit()
    return Response(status_code=204)


@router.get("/notifications", response_model=ListOut[OutboxOut], summary="Messages, oldest first")
def list_notifications(
    group_id: str | None = Query(None, max_length=36),
    user_id: str | None = Query(None, max_length=36),
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> ListOut[OutboxOut]:
    """With ``group_id``: every message about that alert group (any viewer). With
    ``user_id``: the messages to that person (oneself, or admin). Otherwise: all (admin)."""
    query = select(OutboxMessage)
    if group_id:
        query = query.where(OutboxMessage.group_id == group_id)
    if user_id:
        query = query.where(OutboxMessage.user_id == user_id)
    if not group_id:
        require_self_or(caller.actor, user_id or "", Role.ADMIN)
    with ctx.db.unit_of_work(readonly=True) as uow:
        page = paginate(uow.session, query, sort=OutboxMessage.created_at,
                        tiebreak=OutboxMessage.id, cursor=cursor, limit=limit)  # fmt: skip
        return ListOut(items=[OutboxOut.model_validate(r) for r in page.items],
                       next_cursor=page.next_cursor)  # fmt: skip


Owner = Literal["teams", "services"]


@router.get("/{owner}/{owner_id}/channels", response_model=ListOut[ChannelOut],
            summary="A team's or service's announcement channels")  # fmt: skip
def list_channels(
    owner: Owner, owner_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> ListOut[ChannelOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        rows = announce.list_channels(uow, owner[:-1], owner_id)
        hide = caller.actor.role < Role.MANAGER
        return ListOut(items=[
            ChannelOut.model_validate(c).model_copy(update={"secret": None} if hide else {})
            for c in rows
        ])  # fmt: skip


@router.post("/{owner}/{owner_id}/channels", response_model=ChannelOut, status_code=201,
             summary="Add an announcement channel (manager)")  # fmt: skip
def add_channel(
    owner: Owner, owner_id: str, body: ChannelCreate,
    caller: Caller = Depends(api_caller(Role.MANAGER)), ctx: AppContext = Depends(app_context),
) -> ChannelOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        channel = announce.do_add_channel(uow, caller.actor, owner[:-1], owner_id, body)
        uow.commit()
        return ChannelOut.model_validate(channel)


@router.delete("/{owner}/{owner_id}/channels/{channel_id}", status_code=204,
               summary="Remove an announcement channel (manager)")  # fmt: skip
def remove_channel(
    owner: Owner, owner_id: str, channel_id: str,
    caller: Caller = Depends(api_caller(Role.MANAGER)), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        announce.do_remove_channel(uow, caller.actor, owner[:-1], owner_id, channel_id)
        uow.commit()
    return Response(status_code=204)
