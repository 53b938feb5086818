"""``GET /referrals/{id}/letter``: thin endpoint over ``letters.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from services.common.db import AuditedReadSessionDep, utcnow
from services.common.errors import (
    ForbiddenError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)

from ..dependencies import CaseParty, DirectoryDep
from ..errors import ReferralNotFoundError
from . import service

router = APIRouter(prefix="/referrals", tags=["referrals"])

ReferralId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[0-9a-f-]{36}$")]


@router.get(
    "/{referral_id}/letter",
    operation_id="get_referral_letter",
    summary="The victim's plan as a letter in plain English",
    response_class=HTMLResponse,
    responses={
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "An accessible HTML page, in plain English (reading age about 9).",
        },
        **problem_responses(
            UnauthorizedError, ForbiddenError, UnprocessableContentError, ReferralNotFoundError
        ),
    },
)
def get_letter(
    *, session: AuditedReadSessionDep, by: CaseParty, view: DirectoryDep, referral_id: ReferralId
) -> HTMLResponse:
    """Who will contact the victim, how and by when; what each service does; how to change
    their mind; what the Victims' Code gives them. For the referrer, a provider holding a warm
    handover on the case (the lead gives it to the victim) and admins; every read is audited.
    It leaves out the risk assessment and the crime itself, in case the wrong person finds it."""
    html = service.letter(
        session=session, referral_id=referral_id, by=by, view=view, today=utcnow().date()
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
