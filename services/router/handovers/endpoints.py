"""``/handovers``: thin endpoints over ``handovers.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from graph.vocabulary import HandoverStatus
from services.common.db import AuditedReadSessionDep, SessionDep
from services.common.errors import (
    ForbiddenError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.openapi import link
from services.common.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

from ..dependencies import DirectoryDep, Provider, ProviderOrAdmin
from ..errors import HandoverNotFoundError, IllegalTransitionError, OverCapacityError
from . import service
from .schemas import AcceptIn, CompleteIn, DeclineIn, HandoverDetail, HandoverPublic

router = APIRouter(
    prefix="/handovers",
    tags=["handovers"],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)

HandoverId = Annotated[str, Path(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")]
ACTION_ERRORS = problem_responses(HandoverNotFoundError, IllegalTransitionError)


def _next_steps(id_at: str) -> dict[str, object]:
    parameters = {"path.handover_id": f"$response.body#{id_at}"}
    return {
        "GetHandover": link("get_handover", "Read it, with what travels with it.", parameters),
        "Accept": link("accept_handover", "Accept it.", parameters),
        "Decline": link("decline_handover", "Decline it (the case is re-routed).", parameters),
        "Contact": link("contact_handover", "Record first contact.", parameters),
        "Complete": link("complete_handover", "Complete it with outcomes.", parameters),
    }


@router.get(
    "",
    operation_id="list_handovers",
    summary="List your handovers",
    response_model=Page[HandoverPublic],
    responses={200: {"links": _next_steps("/items/0/id")}},
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
    responses={200: {"links": _next_steps("/id")}, **problem_responses(HandoverNotFoundError)},
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
    responses={**ACTION_ERRORS, **problem_responses(IllegalTransitionError, OverCapacityError)},
)
def accept(
    *,
    session: SessionDep,
    by: Provider,
    view: DirectoryDep,
    handover_id: HandoverId,
    body: Annotated[AcceptIn | None, Body()] = None,
) -> HandoverPublic:
    """`accepted`. The body is optional: with no place left by the service's confirmed capacity
    (the directory's `available`, less the handovers accepted since it was confirmed) the
    accept is a 409 `over_capacity`, unless `over_capacity_reason` says why the service takes
    the victim on anyway; that decision is recorded in the timeline and the audit log."""
    return service.accept(
        session=session,
        handover_id=handover_id,
        by=by,
        view=view,
        over_capacity_reason=body.over_capacity_reason if body is not None else None,
    )


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
    return service.complete(
        session=session,
        handover_id=handover_id,
        by=by,
        outcomes=body.outcomes,
        satisfaction=body.satisfaction,
    )
