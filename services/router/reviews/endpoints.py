"""``/reviews`` and ``/referrals/{id}/reviews``: thin endpoints over ``reviews.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.common.db import AuditedReadSessionDep, SessionDep
from services.common.errors import (
    ForbiddenError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.inputs import IsoDate
from services.common.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

from ..dependencies import CaseParty, DirectoryDep
from ..errors import NotOnTheCaseError, NotTheLeadError, ReferralClosedError, ReferralNotFoundError
from . import service
from .schemas import ReviewDone, ReviewDue, ReviewHistory, ReviewIn, ReviewRequestIn, ReviewSchedule

router = APIRouter(
    tags=["reviews"],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)

ReferralId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9a-f-]{36}$")]
By = Annotated[
    IsoDate | None,
    Query(
        alias="by",
        description="List reviews due on or before this day (YYYY-MM-DD); default today in "
        "England.",
    ),
]


@router.get(
    "/reviews/due",
    operation_id="list_reviews_due",
    summary="Open referrals due for review",
    response_model=Page[ReviewDue],
)
def list_reviews_due(
    *,
    session: AuditedReadSessionDep,
    by: CaseParty,
    on_or_before: By = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ReviewDue]:
    """Open referrals whose next review is due on or before `by`, soonest first (overdue
    ones first of all). A review is due 14 days after the last one (or the referral's
    arrival) at high risk, 21 at medium, 28 at standard, or sooner when brought forward. A
    referrer sees the referrals it made; a provider the cases it leads, or is to lead; an
    admin all. No victim details, but each referral shown is in the audit log."""
    return service.due(
        session=session, by=by, on_or_before=on_or_before, cursor=cursor, limit=limit
    )


@router.post(
    "/referrals/{referral_id}/reviews",
    status_code=201,
    operation_id="review_referral",
    summary="Record a scheduled review",
    response_model=ReviewDone,
    responses=problem_responses(
        ReferralNotFoundError, NotTheLeadError, ReferralClosedError, ServiceUnavailableError
    ),
)
def review_referral(
    *,
    session: SessionDep,
    by: CaseParty,
    view: DirectoryDep,
    referral_id: ReferralId,
    body: ReviewIn,
) -> ReviewDone:
    """`{"outcome": "no_change", "note": "…"}` confirms the assessment stands;
    `{"outcome": "reassessed", "assessment": {…}}` is a reassessment (as
    `POST /referrals/{id}/assessments`) and returns its diff. Either schedules the next review
    from today at the (new) risk level. The referrer, the lead provider or an admin."""
    return service.review(session=session, referral_id=referral_id, body=body, by=by, view=view)


@router.get(
    "/referrals/{referral_id}/reviews",
    operation_id="list_referral_reviews",
    summary="A referral's reviews and its next review",
    response_model=ReviewHistory,
    responses=problem_responses(ReferralNotFoundError, NotTheLeadError),
)
def list_referral_reviews(
    *, session: AuditedReadSessionDep, by: CaseParty, referral_id: ReferralId
) -> ReviewHistory:
    """Oldest first, with their notes. Those who may review it: the referrer, the lead
    provider, an admin. The read is written to the audit log."""
    return service.history(session=session, referral_id=referral_id, by=by)


@router.post(
    "/referrals/{referral_id}/reviews/request",
    operation_id="request_review",
    summary="Bring the next review forward",
    response_model=ReviewSchedule,
    responses=problem_responses(ReferralNotFoundError, NotOnTheCaseError, ReferralClosedError),
)
def request_review(
    *,
    session: SessionDep,
    by: CaseParty,
    referral_id: ReferralId,
    body: ReviewRequestIn,
) -> ReviewSchedule:
    """`{"review_by": "YYYY-MM-DD", "reason": "…"}`: today or later, and sooner than the
    review is due now (a 422 otherwise). The referrer, a provider with an open handover on
    the case, or an admin."""
    return service.request_review(session=session, referral_id=referral_id, body=body, by=by)
