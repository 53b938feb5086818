"""``GET /audit``: the append-only audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..auth.dependencies import Admin
from ..db import SessionDep
from ..errors import ForbiddenError, UnauthorizedError, UnprocessableContentError, problem_responses
from ..pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from . import service
from .schemas import AuditEventPublic

router = APIRouter(tags=["audit"])

Code = Annotated[str | None, Query(max_length=50, pattern=r"^[a-z][a-z0-9_.]{0,49}$")]
EntityId = Annotated[str | None, Query(max_length=200, pattern=r"^[A-Za-z0-9._:-]{1,200}$")]


@router.get(
    "/audit",
    operation_id="list_audit_events",
    summary="The audit log, oldest first",
    response_model=Page[AuditEventPublic],
    responses=problem_responses(UnauthorizedError, ForbiddenError, UnprocessableContentError),
)
def list_audit_events(
    *,
    session: SessionDep,
    _admin: Admin,
    entity_type: Code = None,
    entity_id: EntityId = None,
    action: Code = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AuditEventPublic]:
    """Every write, with who made it, when, and the fields it changed. Never edited or deleted."""
    return service.list_events(
        session=session,
        cursor=cursor,
        limit=limit,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
    )
