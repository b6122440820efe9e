"""/api/v1/reviews (reviews due, overdue, by status), /api/v1/incidents/{id}/review
(read, start, PATCH with the ``version`` the text was based on: a stale one is a 409
carrying both texts, status moves, owner and meeting), feedback, the review policy and
templates (admins)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from muster.domain.events.actor import Role
from muster.domain.reviews import review_service as reviews
from muster.domain.reviews import review_templates as templates
from muster.domain.reviews.feedback import do_give_feedback, feedback_summary
from muster.domain.reviews.review_schemas import (
    FeedbackIn,
    FeedbackSummary,
    PolicyIn,
    PolicyOut,
    ReviewOut,
    ReviewPatch,
    TemplateIn,
    TemplateOut,
    TemplateUpdate,
)
from muster.domain.reviews.review_views import review_out
from muster.errors import FieldError, InvalidInput, Problem
from muster.web.api.common import PROBLEM_RESPONSES, ListOut
from muster.web.auth import Caller, api_caller
from muster.web.context import AppContext, app_context
from muster.web.problems import PROBLEM_JSON

router = APIRouter(tags=["reviews"], responses=PROBLEM_RESPONSES)
VIEWER = Depends(api_caller(Role.VIEWER))
RESPONDER = Depends(api_caller(Role.RESPONDER))
ADMIN = Depends(api_caller(Role.ADMIN))
ONE = "/incidents/{incident_id}/review"


@router.get("/reviews", response_model=ListOut[ReviewOut], summary="Reviews by due date")
def list_all(
    status: Literal["draft", "in_review", "approved", "published"] | None = None,
    due: Literal["overdue", "open"] | None = Query(
        None, description="overdue, or any not published"
    ),
    limit: int = Query(200, ge=1, le=500),
    caller: Caller = VIEWER,
    ctx: AppContext = Depends(app_context),
) -> ListOut[ReviewOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        items = [
            review_out(uow, r)
            for r, _ in reviews.list_reviews(uow, caller.actor, status=status, limit=limit)
        ]
        if due == "open":
            items = [i for i in items if i.status != "published"]
        elif due == "overdue":
            items = [i for i in items if i.overdue]
        return ListOut(items=items)


@router.get(ONE, response_model=ReviewOut, summary="An incident's review")
def show(
    incident_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> ReviewOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return review_out(uow, reviews.get_review(uow, caller.actor, incident_id)[1])


@router.post(ONE, response_model=ReviewOut, status_code=201, summary="Start a review (responder)")
def start(
    incident_id: str, caller: Caller = RESPONDER, ctx: AppContext = Depends(app_context)
) -> ReviewOut:
    with ctx.db.unit_of_work() as uow:
        review = reviews.do_start_review(uow, caller.actor, incident_id)
        uow.commit()
        return review_out(uow, review)


def stale_response(exc: reviews.StaleReview) -> JSONResponse:
    body = Problem(exc.status, exc.title, exc.detail, exc.errors).as_dict()
    body["current"] = {
        "version": exc.current_version,
        "body": exc.current_body,
        "updated_by": exc.updated_by,
    }
    body["yours"] = exc.yours
    return JSONResponse(body, status_code=409, media_type=PROBLEM_JSON)


@router.patch(
    ONE, response_model=ReviewOut,
    summary="Change a review: text (with the version it was based on), status, owner, meeting",
    responses={409: {"description": "Stale version: the saved text and yours (problem+json)"}},
)  # fmt: skip
def patch(
    incident_id: str, body: ReviewPatch, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> ReviewOut | JSONResponse:  # fmt: skip
    given = body.model_fields_set
    if body.body is not None and body.version is None:
        raise InvalidInput(
            "say which version you edited", errors=[FieldError("version", "required with body")]
        )
    try:
        with ctx.db.unit_of_work() as uow:
            if body.body is not None and body.version is not None:
                reviews.do_save_review(uow, caller.actor, incident_id, body.body, body.version)
            if "owner_id" in given:
                reviews.do_set_review_owner(uow, caller.actor, incident_id, body.owner_id)
            if "meeting_at" in given:
                reviews.do_set_review_meeting(uow, caller.actor, incident_id, body.meeting_at)
            if body.status is not None:
                review = reviews.get_review(uow, caller.actor, incident_id)[1]
                if body.status != review.status:
                    reviews.do_set_review_status(uow, caller.actor, incident_id, body.status)
            uow.commit()
            return review_out(uow, reviews.get_review(uow, caller.actor, incident_id)[1])
    except reviews.StaleReview as exc:
        return stale_response(exc)


@router.post(
    ONE + "/feedback",
    response_model=FeedbackSummary,
    summary="Give feedback on the response (responder)",
)
def give_feedback(
    incident_id: str, body: FeedbackIn, caller: Caller = RESPONDER,
    ctx: AppContext = Depends(app_context),
) -> FeedbackSummary:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        row = do_give_feedback(uow, caller.actor, incident_id, body)
        uow.commit()
        return feedback_summary(uow, row.review_id)


@router.get("/review-policy", response_model=PolicyOut, summary="Which incidents require a review")
def show_policy(caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        out = PolicyOut.model_validate(templates.get_policy(uow))
        uow.commit()
        return out


@router.put("/review-policy", response_model=PolicyOut, summary="Change the review policy (admin)")
def update_policy(
    body: PolicyIn, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> PolicyOut:
    with ctx.db.unit_of_work() as uow:
        out = PolicyOut.model_validate(templates.do_update_policy(uow, caller.actor, body))
        uow.commit()
        return out


@router.get("/review-templates", response_model=ListOut[TemplateOut], summary="Review templates")
def list_templates(
    caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> ListOut[TemplateOut]:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return ListOut(items=[TemplateOut.model_validate(t) for t in templates.list_templates(uow)])


@router.post(
    "/review-templates",
    response_model=TemplateOut,
    status_code=201,
    summary="Add a template (admin)",
)
def create_template(
    body: TemplateIn, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> TemplateOut:
    with ctx.db.unit_of_work() as uow:
        out = TemplateOut.model_validate(templates.do_create_template(uow, caller.actor, body))
        uow.commit()
        return out


@router.get("/review-templates/{template_id}", response_model=TemplateOut, summary="A template")
def show_template(
    template_id: str, caller: Caller = VIEWER, ctx: AppContext = Depends(app_context)
) -> TemplateOut:
    with ctx.db.unit_of_work(readonly=True) as uow:
        return TemplateOut.model_validate(templates.get_template(uow, template_id))


@router.patch(
    "/review-templates/{template_id}",
    response_model=TemplateOut,
    summary="Change a template (admin)",
)
def update_template(
    template_id: str, body: TemplateUpdate, caller: Caller = ADMIN,
    ctx: AppContext = Depends(app_context),
) -> TemplateOut:  # fmt: skip
    with ctx.db.unit_of_work() as uow:
        out = TemplateOut.model_validate(
            templates.do_update_template(uow, caller.actor, template_id, body)
        )
        uow.commit()
        return out


@router.delete(
    "/review-templates/{template_id}", status_code=204, summary="Delete a template (admin)"
)
def delete_template(
    template_id: str, caller: Caller = ADMIN, ctx: AppContext = Depends(app_context)
) -> None:
    with ctx.db.unit_of_work() as uow:
        templates.do_delete_template(uow, caller.actor, template_id)
        uow.commit()
