"""``/referrals``: thin endpoints over ``referrals.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.common.db import AuditedReadSessionDep, SessionDep, request_engine, utcnow
from services.common.errors import (
    ForbiddenError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.openapi import link
from services.common.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

from ..dependencies import CaseParty, DirectoryDep, Referrer, ReferrerOrAdmin
from ..errors import (
    IdempotencyInFlightError,
    IdempotencyKeyReusedError,
    NotTheLeadError,
    ReferralClosedError,
    ReferralNotFoundError,
)
from . import service
from .schemas import (
    AssessmentIn,
    ReassessmentPublic,
    ReferralCreate,
    ReferralPublic,
    ReferralSummary,
    Timeline,
)

router = APIRouter(
    prefix="/referrals",
    tags=["referrals"],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)

ReferralId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9a-f-]{36}$")]


def _follow_up(id_at: str) -> dict[str, object]:
    parameters = {"path.referral_id": f"$response.body#{id_at}"}
    return {
        "GetReferral": link("get_referral", "Read the referral and its plan.", parameters),
        "GetTimeline": link("get_referral_timeline", "Its events so far.", parameters),
        "Reassess": link("reassess_referral", "Reassess the victim's needs.", parameters),
    }


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A retry with the same key and body returns the first response; the same "
        "key with another body is a 422; while the first is still running, a 409.",
    ),
]


@router.post(
    "",
    status_code=201,
    operation_id="create_referral",
    summary="Send a referral",
    response_model=ReferralPublic,
    responses={
        201: {"links": _follow_up("/id")},
        **problem_responses(
            UnprocessableContentError,
            IdempotencyKeyReusedError,
            IdempotencyInFlightError,
            ServiceUnavailableError,
        ),
    },
)
def create_referral(
    *,
    request: Request,
    session: SessionDep,
    by: Referrer,
    view: DirectoryDep,
    body: ReferralCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Validate the referral, derive risk, enhanced entitlement, the MARAC decision and the
    Victims' Code deadlines, plan the warm handovers and store it all in one transaction."""
    if idempotency_key is None:
        public = service.create(session=session, body=body, by=by, view=view)
        session.commit()  # in this thread, as ``create_once`` does (it says why)
        return created(public)
    done = service.create_once(
        session=session,
        engine=request_engine(request),
        body=body,
        by=by,
        view=view,
        key=idempotency_key,
        now=utcnow(),
    )
    return once_response(done)


def created(made: BaseModel | bytes) -> Response:
    """201 with the JSON FastAPI would make of the model (``response_model``, by alias), or
    that JSON already made, without FastAPI validating the model a second time: the response
    model still documents it."""
    content = made if isinstance(made, bytes) else made.model_dump_json(by_alias=True)
    return Response(content=content, status_code=201, media_type="application/json")


def once_response(done: bytes | service.Replay) -> Response:
    """The answer of a request under an ``Idempotency-Key`` (``service.run_once``): the JSON
    just made (201), or the first request's answer again, marked ``Idempotent-Replayed``."""
    if isinstance(done, service.Replay):
        return JSONResponse(
            done.body, status_code=done.status, headers={"Idempotent-Replayed": "true"}
        )
    return created(done)


@router.get(
    "",
    operation_id="list_referrals",
    summary="List your referrals",
    response_model=Page[ReferralSummary],
)
def list_referrals(
    *,
    session: AuditedReadSessionDep,
    by: ReferrerOrAdmin,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ReferralSummary]:
    """A referrer sees only the referrals it made; an admin sees all. No victim details, but the
    crime reference and risk level are personal data: each referral shown is in the audit log."""
    return service.listing(session=session, by=by, cursor=cursor, limit=limit)


@router.get(
    "/{referral_id}",
    operation_id="get_referral",
    summary="Read a referral and its current plan",
    response_model=ReferralPublic,
    responses={200: {"links": _follow_up("/id")}, **problem_responses(ReferralNotFoundError)},
)
def get_referral(
    *, session: AuditedReadSessionDep, by: ReferrerOrAdmin, referral_id: ReferralId
) -> ReferralPublic:
    """The referrer that made it, or an admin. The read is written to the audit log."""
    return service.read(session=session, referral_id=referral_id, by=by)


@router.get(
    "/{referral_id}/timeline",
    operation_id="get_referral_timeline",
    summary="Every event of a referral, oldest first, in plain words",
    response_model=Timeline,
    responses=problem_responses(ReferralNotFoundError),
)
def get_timeline(
    *, session: AuditedReadSessionDep, by: CaseParty, referral_id: ReferralId
) -> Timeline:
    """For keeping the victim informed: the referrer, providers on the case, admins."""
    return service.timeline(session=session, referral_id=referral_id, by=by)


@router.post(
    "/{referral_id}/assessments",
    status_code=201,
    operation_id="reassess_referral",
    summary="Reassess a victim's needs",
    response_model=ReassessmentPublic,
    responses={
        201: {"links": _follow_up("/referral/id")},
        **problem_responses(
            ReferralNotFoundError, NotTheLeadError, ReferralClosedError, ServiceUnavailableError
        ),
    },
)
def reassess_referral(
    *,
    session: SessionDep,
    by: CaseParty,
    view: DirectoryDep,
    referral_id: ReferralId,
    body: AssessmentIn,
    response: Response,
) -> ReassessmentPublic:
    """A new assessment: a new plan from where the victim is now, applied as a diff —
    handovers started, providers kept, providers released once their replacement has made
    first contact. The referrer, the lead provider or an admin."""
    del response
    return service.reassess_referral(
        session=session, referral_id=referral_id, body=body, by=by, view=view
    )
