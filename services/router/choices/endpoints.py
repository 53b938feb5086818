"""``/referrals/{referral_id}/…``: the victim's choices, thin endpoints over ``choices.service``.

Each is called by the referrer that made the referral, the lead provider or an admin, acting on
the victim's word; anyone else gets 404 (403 for a provider on the case that does not lead it).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.common.db import SessionDep
from services.common.errors import (
    ForbiddenError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)

from ..dependencies import CaseParty, DirectoryDep
from ..errors import NotTheLeadError, ReferralClosedError, ReferralNotFoundError
from ..referrals.endpoints import ReferralId
from . import service
from .schemas import ChoiceOutcome, ConsentWithdrawalIn, ContactIn, PauseIn, RefusalIn

router = APIRouter(
    prefix="/referrals",
    tags=["choices"],
    responses=problem_responses(
        UnauthorizedError,
        ForbiddenError,
        NotTheLeadError,
        ReferralNotFoundError,
        ReferralClosedError,
        UnprocessableContentError,
    ),
)


@router.post(
    "/{referral_id}/refusals",
    status_code=201,
    operation_id="refuse_service",
    summary="The victim says no to a service (or withdraws from it)",
    response_model=ChoiceOutcome,
    responses={
        200: {"description": "Already refused: nothing changed.", "model": ChoiceOutcome},
        **problem_responses(ServiceUnavailableError),
    },
)
def refuse_service(
    *,
    session: SessionDep,
    by: CaseParty,
    view: DirectoryDep,
    referral_id: ReferralId,
    body: RefusalIn,
    response: Response,
) -> ChoiceOutcome:
    """The service's open handover is cancelled at once (it is told, once, and never told
    anything about the referral again) and the plan is re-made without it from the latest
    assessment. If it led the case of a victim at high risk and nothing else can lead,
    `without_lead` says so. A service already refused: 200 and nothing changes."""
    outcome = service.refuse_service(
        session=session, referral_id=referral_id, body=body, by=by, view=view
    )
    if not outcome.choice.changed:
        response.status_code = 200
    return outcome


@router.post(
    "/{referral_id}/pause",
    operation_id="pause_contact",
    summary="The victim asks that nobody contact them for now",
    response_model=ChoiceOutcome,
)
def pause_contact(
    *, session: SessionDep, by: CaseParty, referral_id: ReferralId, body: PauseIn
) -> ChoiceOutcome:
    """Until `until` (its last day) or until resumed. Providers with an open warm handover get
    `referral.paused`; the details they read say `do_not_contact`. Handovers stay."""
    return service.pause(session=session, referral_id=referral_id, body=body, by=by)


@router.post(
    "/{referral_id}/resume",
    operation_id="resume_contact",
    summary="The victim is happy to be contacted again",
    response_model=ChoiceOutcome,
)
def resume_contact(*, session: SessionDep, by: CaseParty, referral_id: ReferralId) -> ChoiceOutcome:
    """Ends a pause; providers with an open warm handover get `referral.resumed`. Without a
    pause nothing changes."""
    return service.resume(session=session, referral_id=referral_id, by=by)


@router.put(
    "/{referral_id}/contact",
    operation_id="replace_contact_preferences",
    summary="Replace the victim's contact preferences",
    response_model=ChoiceOutcome,
)
def replace_contact(
    *, session: SessionDep, by: CaseParty, referral_id: ReferralId, body: ContactIn
) -> ChoiceOutcome:
    """Providers with an open warm handover get `referral.contact_changed` and read the new
    preferences with their key."""
    return service.change_contact(session=session, referral_id=referral_id, body=body, by=by)


@router.post(
    "/{referral_id}/consent/withdraw",
    operation_id="withdraw_consent",
    summary="The victim withdraws consent to share their details",
    response_model=ChoiceOutcome,
)
def withdraw_consent(
    *, session: SessionDep, by: CaseParty, referral_id: ReferralId, body: ConsentWithdrawalIn
) -> ChoiceOutcome:
    """Every handover becomes a signpost (accepted ones stay: the victim may still contact
    them), providers can no longer read the victim's details, and each provider that was sent
    them gets `referral.consent_withdrawn`: stop using and delete them. Already withdrawn:
    nothing changes."""
    return service.withdraw_consent(session=session, referral_id=referral_id, body=body, by=by)
