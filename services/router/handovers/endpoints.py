"""``/handovers``: thin endpoints over ``handovers.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from graph.vocabulary import HandoverStatus
from services.common.db import AuditedReadSessionDep, SessionDep
from services.common.errors import (
    ForbiddenError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

from ..dependencies import DirectoryDep, Provider, ProviderOrAdmin
from ..errors import HandoverNotFoundError, IllegalTransitionError
from . import service
from .schemas import CompleteIn, DeclineIn, HandoverDetail, HandoverPublic

router = APIRouter(
    prefix="/handovers",
    tags=["handovers"],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)

HandoverId = Annotated[str, Path(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")]
ACTION_ERRORS = problem_responses(HandoverNotFoundError, IllegalTransitionError)


@router.get(
    "",
    operation_id="list_handovers",
    summary="List your handovers",
    response_model=Page[HandoverPublic],
)
def list_handovers(
    *,
    session: SessionDep,
    by: ProviderOrAdmin,
    status: Annotated[HandoverStatus | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[HandoverPublic]:
    """A provider sees its own handovers (poll `?status=requested` where webhooks are not
    used); an admin sees all."""
    return service.listing(session=session, by=by, status=status, cursor=cursor, limit=limit)


@router.get(
    "/{handover_id}",
    operation_id="get_handover",
    summary="Read a handover and what travels with it",
    response_model=HandoverDetail,
    responses=problem_responses(HandoverNotFoundError),
)
def get_handover(
    *, session: AuditedReadSessionDep, by: ProviderOrAdmin, handover_id: HandoverId
) -> HandoverDetail:
    """A warm handover carries the victim's details and assessment (the read is audited); a
    signpost carries none."""
    return service.read(session=session, handover_id=handover_id, by=by)


@router.post(
    "/{handover_id}/accept",
    operation_id="accept_handover",
    summary="Accept a handover",
    response_model=HandoverPublic,
    responses=ACTION_ERRORS,
)
def accept(*, session: SessionDep, by: Provider, handover_id: HandoverId) -> HandoverPublic:
    return service.accept(session=session, handover_id=handover_id, by=by)


@router.post(
    "/{handover_id}/decline",
    operation_id="decline_handover",
    summary="Decline a handover (the case is re-routed)",
    response_model=HandoverPublic,
    responses=ACTION_ERRORS,
)
def decline(
    *,
    session: SessionDep,
    by: Provider,
    view: DirectoryDep,
    handover_id: HandoverId,
    body: DeclineIn,
) -> HandoverPublic:
    return service.decline(
        session=session, handover_id=handover_id, by=by, reason=body.reason, view=view
    )


@router.post(
    "/{handover_id}/contact",
    operation_id="contact_handover",
    summary="Record first contact with the victim",
    response_model=HandoverPublic,
    responses=ACTION_ERRORS,
)
def contact(*, session: SessionDep, by: Provider, handover_id: HandoverId) -> HandoverPublic:
    """`in_progress`: releases any provider that was waiting for this first contact."""
    return service.contact(session=session, handover_id=handover_id, by=by)


@router.post(
    "/{handover_id}/complete",
    operation_id="complete_handover",
    summary="Complete a handover with outcomes",
    response_model=HandoverPublic,
    responses=ACTION_ERRORS,
)
def complete(
    *, session: SessionDep, by: Provider, handover_id: HandoverId, body: CompleteIn
) -> HandoverPublic:
    return service.complete(session=session, handover_id=handover_id, by=by, outcomes=body.outcomes)
