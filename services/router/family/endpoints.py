"""``/referrals/{referral_id}/family`` and ``/family/{case_id}``: thin endpoints over
``family.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.common.db import AuditedReadSessionDep, SessionDep
from services.common.errors import (
    ForbiddenError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)

from ..dependencies import CaseParty, DirectoryDep
from ..errors import (
    IdempotencyInFlightError,
    IdempotencyKeyReusedError,
    NotTheLeadError,
    ReferralClosedError,
    ReferralNotFoundError,
)
from ..referrals.endpoints import IdempotencyKey, ReferralId, created, once_response
from . import service
from .schemas import FamilyIn, FamilyLinked, FamilyPublic, ReferralFamily
from .service import FamilyCaseNotFoundError, FamilyCopyError, FamilyKindMismatchError

router = APIRouter(
    tags=["family"],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)

CaseId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9a-f-]{36}$")]


@router.post(
    "/referrals/{referral_id}/family",
    status_code=201,
    operation_id="link_family",
    summary="Refer the victim's family members and link them as one case",
    response_model=FamilyLinked,
    responses=problem_responses(
        ReferralNotFoundError,
        NotTheLeadError,
        ReferralClosedError,
        FamilyKindMismatchError,
        FamilyCopyError,
        UnprocessableContentError,
        IdempotencyKeyReusedError,
        IdempotencyInFlightError,
        ServiceUnavailableError,
    ),
)
def link_family(
    *,
    session: SessionDep,
    by: CaseParty,
    view: DirectoryDep,
    referral_id: ReferralId,
    body: FamilyIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """For the referrer that made the referral, its lead provider or an admin. Each member
    becomes a referral of their own, with its own plan (a child is routed to the young victims
    service), from their details and needs and the referral's area, incident and source; it
    belongs to the referral's referrer, whoever made it. All are linked with the referral (as
    `self`) in one case: a new one, or the case the referral is already in. A provider is not
    told the ids of referrals whose plan it is not on.

    Send an `Idempotency-Key` to make a retry safe: without one, a request sent twice refers
    every member twice."""
    if idempotency_key is None:
        linked = service.link(session=session, referral_id=referral_id, body=body, by=by, view=view)
        return created(linked)
    done = service.link_once(
        session=session,
        referral_id=referral_id,
        body=body,
        by=by,
        view=view,
        key=idempotency_key,
    )
    return once_response(done)


@router.get(
    "/referrals/{referral_id}/family",
    operation_id="get_referral_family",
    summary="The family case a referral is in",
    response_model=ReferralFamily,
    responses=problem_responses(ReferralNotFoundError),
)
def get_referral_family(
    *, session: AuditedReadSessionDep, by: CaseParty, referral_id: ReferralId
) -> ReferralFamily:
    """As `GET /family/{case_id}`, for a referral the caller may read (its referrer, an admin,
    or a provider with a warm handover on it). A referral in no case: `case` is null and
    `members` empty."""
    return service.read_for_referral(session=session, referral_id=referral_id, by=by)


@router.get(
    "/family/{case_id}",
    operation_id="get_family_case",
    summary="A family case and the members the caller may see",
    response_model=FamilyPublic,
    responses=problem_responses(FamilyCaseNotFoundError),
)
def get_family_case(
    *, session: AuditedReadSessionDep, by: CaseParty, case_id: CaseId
) -> FamilyPublic:
    """The referrer that made the referrals and admins see every member: referral id,
    relationship, risk level, status and lead. A provider sees only the members on whose plan
    it has a warm handover, and nothing of the others; a case with none is a 404. Each member
    shown is in the audit log."""
    return service.read_case(session=session, case_id=case_id, by=by)
