"""The review tab of an incident (/incidents/{id}/review): start a review, edit its
Markdown with a live preview (``review.js`` posts the text to ``…/review/preview``;
without JavaScript the Preview button re-renders the page), save with the version it
was based on (a stale one shows the other editor's saved text beside yours, 409), move
it through the workflow, set owner and meeting, give feedback, export it (Markdown,
HTML, PDF). Also /reviews: the reviews due, overdue and by status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.events.actor import Role
from muster.domain.incidents.markdown import render_markdown
from muster.domain.incidents.models import Incident
from muster.domain.incidents.service import reference
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.reviews import review_service as reviews
from muster.domain.reviews.feedback import do_give_feedback, feedback_summary, my_feedback
from muster.domain.reviews.review_export import export_review
from muster.domain.reviews.review_schemas import STATUS_LABELS, FeedbackIn
from muster.domain.reviews.review_templates import get_policy, requires_review
from muster.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from muster.web.auth import Caller, ui_caller
from muster.web.context import AppContext, app_context
from muster.web.pdf import check_pdf_available, chromium_path, html_to_pdf
from muster.web.ui.action_items import action_items_context
from muster.web.ui.forms import FormState, failed_form, parse_form, posted, see_other
from muster.web.ui.incident_choices import local_input, parse_local, person_id, person_options
from muster.web.ui.render import render

router = APIRouter(include_in_schema=False)
BASE = "/incidents/{incident_id}/review"
RESPONDER = Depends(ui_caller(Role.RESPONDER))
STEP_WORDS = {
    "in_review": "Send for review", "draft": "Back to draft", "approved": "Approve",
    "published": "Publish",
}  # fmt: skip


def _page(
    request: Request, caller: Caller, ctx: AppContext, uow: UnitOfWork, incident: Incident, *,
    forms: dict[str, FormState] | None = None, status_code: int = 200,
    draft: str | None = None, preview: str | None = None, stale: Any = None,
) -> Response:  # fmt: skip
    forms = forms or {}
    review = reviews.review_of(uow, incident.id)
    if review is not None and not reviews.may_read(caller.actor, review):
        review = None
    can_act = caller.actor.role >= Role.RESPONDER
    context: dict[str, Any] = {}
    if review is not None and can_act:
        context = action_items_context(
            uow, caller, incident, back=BASE.format(incident_id=incident.id)
        )
    steps = []
    if review is not None and can_act:
        steps = [
            (
                to,
                STEP_WORDS[to]
                if to != "in_review" or review.status == "draft"
                else "Reopen for review",
                role,
            )
            for to, role in reviews.TRANSITIONS.get(review.status, {}).items()
        ]
    text = draft if draft is not None else (review.body if review else "")
    mine = my_feedback(uow, review.id, caller.actor.id) if review else None
    return render(
        request, "incident_review.html", caller, status_code=status_code,
        incident=incident, ref=reference(incident), review=review, can_act=can_act,
        required=requires_review(get_policy(uow), incident),
        body_html=render_markdown(review.body) if review else "",
        text=text, preview=preview, stale=stale,
        editable=review is not None and can_act and review.status in reviews.EDITABLE,
        steps=steps, is_manager=caller.actor.role >= Role.MANAGER,
        status_labels=STATUS_LABELS,
        summary=feedback_summary(uow, review.id) if review else None,
        mine=mine, meeting_local=local_input(review.meeting_at, caller) if review else "",
        owner_email=_email(uow, review), forms=forms, overdue=bool(
            review and review.due_at and review.status != "published" and review.due_at <= uow.now
        ),
        pdf=chromium_path(ctx.settings.extra) is not None,
        **{"people_options": person_options(uow) if can_act else [], **context},
    )  # fmt: skip


def _email(uow: UnitOfWork, review: Any) -> str:
    owner = uow.session.get(User, review.owner_id) if review and review.owner_id else None
    return owner.email if owner else ""


@router.get(BASE)
def show(
    request: Request, incident_id: str, caller: Caller = Depends(ui_caller()),
    ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    with ctx.db.unit_of_work(readonly=True) as uow:
        incident = get_visible_incident(uow, caller.actor, incident_id)
        return _page(request, caller, ctx, uow, incident)


def _act(
    request: Request, caller: Caller, ctx: AppContext, incident_id: str,
    command: Callable[[UnitOfWork], object], *, prefix: str, fields: dict[str, str],
    anchor: str = "",
) -> Response:  # fmt: skip
    try:
        with ctx.db.unit_of_work() as uow:
            command(uow)
            uow.commit()
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = get_visible_incident(uow, caller.actor, incident_id)
            form = failed_form(fields, exc, prefix=prefix)
            return _page(request, caller, ctx, uow, incident, forms={prefix: form}, status_code=exc.status)  # fmt: skip
    return see_other(BASE.format(incident_id=incident_id) + (f"#{anchor}" if anchor else ""))


@router.post(BASE + "/start")
def start(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        reviews.do_start_review(uow, caller.actor, incident_id)

    return _act(request, caller, ctx, incident_id, command, prefix="start", fields=fields)


@router.post(BASE + "/preview")
def preview(
    incident_id: str, caller: Caller = RESPONDER, fields: dict[str, str] = Depends(posted),
    ctx: AppContext = Depends(app_context),
) -> HTMLResponse:  # fmt: skip
    """The Markdown posted, rendered (for the live preview)."""
    with ctx.db.unit_of_work(readonly=True) as uow:
        get_visible_incident(uow, caller.actor, incident_id)
    return HTMLResponse(render_markdown(fields.get("body", "")[:200_000]))


@router.post(BASE + "/save")
def save(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    text = fields.get("body", "").replace("\r\n", "\n")
    if fields.get("action") == "preview":
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = get_visible_incident(uow, caller.actor, incident_id)
            return _page(
                request, caller, ctx, uow, incident, draft=text, preview=render_markdown(text)
            )
    try:
        version = int(fields.get("version", ""))
    except ValueError:
        version = 0
    try:
        with ctx.db.unit_of_work() as uow:
            if version < 1:
                raise InvalidInput("bad form", errors=[FieldError("version", "missing")])
            reviews.do_save_review(uow, caller.actor, incident_id, text, version)
            uow.commit()
    except reviews.StaleReview as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = get_visible_incident(uow, caller.actor, incident_id)
            return _page(
                request, caller, ctx, uow, incident, draft=text, stale=exc, status_code=409
            )
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        with ctx.db.unit_of_work(readonly=True) as uow:
            incident = get_visible_incident(uow, caller.actor, incident_id)
            form = failed_form(fields, exc, prefix="edit")
            return _page(request, caller, ctx, uow, incident, draft=text, forms={"edit": form}, status_code=exc.status)  # fmt: skip
    return see_other(BASE.format(incident_id=incident_id) + "#review-text")


@router.post(BASE + "/status")
def move(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        reviews.do_set_review_status(uow, caller.actor, incident_id, fields.get("to", ""))

    return _act(request, caller, ctx, incident_id, command, prefix="status", fields=fields)


@router.post(BASE + "/plan")
def plan(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    """Owner and meeting time."""

    def command(uow: UnitOfWork) -> None:
        owner = fields.get("owner", "").strip()
        reviews.do_set_review_owner(uow, caller.actor, incident_id, person_id(uow, owner) if owner else None)  # fmt: skip
        when = parse_local(fields.get("meeting_at", ""), caller, field="meeting_at")
        reviews.do_set_review_meeting(uow, caller.actor, incident_id, when)

    return _act(request, caller, ctx, incident_id, command, prefix="plan", fields=fields, anchor="plan")  # fmt: skip


@router.post(BASE + "/feedback")
def feedback(
    request: Request, incident_id: str, caller: Caller = RESPONDER,
    fields: dict[str, str] = Depends(posted), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    def command(uow: UnitOfWork) -> None:
        data = parse_form(FeedbackIn, {"rating": fields.get("rating", ""), "comment": fields.get("comment", "")})  # fmt: skip
        do_give_feedback(uow, caller.actor, incident_id, data)

    return _act(request, caller, ctx, incident_id, command, prefix="feedback", fields=fields, anchor="feedback")  # fmt: skip


def _download(incident: Incident, ext: str) -> dict[str, str]:
    name = f"{reference(incident)}-review.{ext}"
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}  # fmt: skip


@router.get(BASE + ".md")
def export_md(
    incident_id: str, caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        incident, _, text = export_review(uow, caller.actor, incident_id, "md")
        uow.commit()
    return Response(
        text, media_type="text/markdown; charset=utf-8", headers=_download(incident, "md")
    )


@router.get(BASE + ".html")
def export_html(
    incident_id: str, caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context)
) -> Response:
    with ctx.db.unit_of_work() as uow:
        incident, _, text = export_review(uow, caller.actor, incident_id, "html")
        uow.commit()
    return HTMLResponse(text, headers=_download(incident, "html"))


@router.get(BASE + ".pdf")
def export_pdf(
    incident_id: str, caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context)
) -> Response:
    chromium = check_pdf_available(ctx.settings.extra)
    with ctx.db.unit_of_work() as uow:
        incident, _, text = export_review(uow, caller.actor, incident_id, "html")
        uow.commit()
    pdf = html_to_pdf(text, chromium)
    return Response(pdf, media_type="application/pdf", headers=_download(incident, "pdf"))


@router.get("/reviews")
def list_page(
    request: Request, status: str = Query("", max_length=20), due: str = Query("", max_length=10),
    caller: Caller = Depends(ui_caller()), ctx: AppContext = Depends(app_context),
) -> Response:  # fmt: skip
    if status and status not in STATUS_LABELS:
        raise InvalidInput("bad filter", errors=[FieldError("status", f"unknown {status[:20]!r}")])
    if due not in ("", "overdue", "open"):
        raise InvalidInput("bad filter", errors=[FieldError("due", "overdue or open")])
    with ctx.db.unit_of_work(readonly=True) as uow:
        now = uow.now
        rows = reviews.list_reviews(uow, caller.actor, status=status or None, limit=500)
        items: list[dict[str, Any]] = [
            {"review": r, "incident": i, "ref": reference(i),
             "overdue": bool(r.due_at and r.status != "published" and r.due_at <= now)}
            for r, i in rows
        ]  # fmt: skip
        if due == "open":
            items = [x for x in items if x["review"].status != "published"]
        elif due == "overdue":
            items = [x for x in items if x["overdue"]]
        return render(
            request, "reviews.html", caller, items=items, status=status, due=due,
            status_labels=STATUS_LABELS,
        )  # fmt: skip
