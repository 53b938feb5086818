"""``/outbox``: dead letters and webhook events, for admins. Thin endpoints over
``outbox.delivery``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.common.auth.dependencies import Admin
from services.common.db import SessionDep, utcnow
from services.common.errors import (
    ForbiddenError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.inputs import SAFE_ID_PATTERN
from services.common.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

from . import delivery
from .delivery import NotReplayableError, OutboxEventNotFoundError
from .schemas import OutboxEventPublic, UndeliveredStatus

router = APIRouter(
    prefix="/outbox",
    tags=["outbox"],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)

EventId = Annotated[
    str,
    Path(pattern=SAFE_ID_PATTERN, max_length=40, description="The event's `webhook-id`."),
]
IdFilter = Annotated[str | None, Query(pattern=SAFE_ID_PATTERN, max_length=100)]


@router.get(
    "/dead-letters",
    operation_id="list_dead_letters",
    summary="Webhook events that were not delivered, oldest first",
    response_model=Page[OutboxEventPublic],
)
def list_dead_letters(
    *,
    session: SessionDep,
    _admin: Admin,
    status: Annotated[
        UndeliveredStatus,
        Query(
            description="`dead`: every attempt failed, or the receiver answered 410 Gone. "
            "`skipped`: never sent, because the service has no webhook."
        ),
    ] = UndeliveredStatus.DEAD,
    provider_id: IdFilter = None,
    service_id: IdFilter = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[OutboxEventPublic]:
    """Each with the receiver's last answer and why delivery stopped (`last_error`)."""
    return delivery.list_undelivered(
        session=session,
        status=status,
        cursor=cursor,
        limit=limit,
        provider_id=provider_id,
        service_id=service_id,
    )


@router.post(
    "/dead-letters/{event_id}/replay",
    operation_id="replay_dead_letter",
    summary="Send a dead or skipped webhook event again",
    response_model=OutboxEventPublic,
    responses=problem_responses(OutboxEventNotFoundError, NotReplayableError),
)
def replay_dead_letter(*, session: SessionDep, by: Admin, event_id: EventId) -> OutboxEventPublic:
    """Back to `pending`, due now, with its attempts reset; the `webhook-id` stays the same, so
    a receiver that got it before can tell. Recorded in the audit log. A pending or delivered
    event is a 409."""
    return delivery.replay(session=session, event_id=event_id, by=by, now=utcnow())


@router.get(
    "/events/{event_id}",
    operation_id="get_outbox_event",
    summary="One webhook event and how its delivery went",
    response_model=OutboxEventPublic,
    responses=problem_responses(OutboxEventNotFoundError),
)
def get_outbox_event(*, session: SessionDep, _admin: Admin, event_id: EventId) -> OutboxEventPublic:
    """Any status. The payload carries ids and statuses only; no webhook URL or secret."""
    return delivery.get_event(session=session, event_id=event_id)
