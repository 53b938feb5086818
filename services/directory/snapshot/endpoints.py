"""``GET /snapshot``: the whole directory for the router, versioned, with a strong ETag."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.common.auth.dependencies import require
from services.common.auth.schemas import Principal, Role
from services.common.db import SessionDep
from services.common.errors import ForbiddenError, UnauthorizedError, problem_responses
from services.common.etag import IfNoneMatch, conditional_headers, not_modified

from ..dependencies import SnapshotsDep
from . import service
from .schemas import SnapshotDocument

router = APIRouter(tags=["snapshot"])

SnapshotReader = Annotated[Principal, Depends(require(Role.SERVICE, Role.ADMIN))]


@router.get(
    "/snapshot",
    operation_id="get_snapshot",
    summary="The whole directory, versioned",
    response_model=SnapshotDocument,
    responses={
        **problem_responses(UnauthorizedError, ForbiddenError),
        304: {"description": "Not modified: the version in If-None-Match is still current"},
    },
)
def get_snapshot(
    *,
    session: SessionDep,
    _by: SnapshotReader,
    cache: SnapshotsDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The ETag changes with every write. Send it back as `If-None-Match` to get 304 while
    nothing has changed. No webhook URLs or secrets are in it."""
    if (
        unchanged := not_modified(if_none_match, service.current_etag(session=session))
    ) is not None:
        return unchanged
    snapshot = service.current(session=session, cache=cache)
    return Response(
        content=snapshot.body,
        media_type="application/json",
        headers={
            **conditional_headers(snapshot.etag),
            "X-Directory-Version": str(snapshot.version),
        },
    )
