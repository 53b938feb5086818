"""``/pathways``: thin endpoints over ``pathways.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.auth.dependencies import Admin, AnyKey
from services.common.db import SessionDep
from services.common.errors import (
    ForbiddenError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

from ..errors import AlreadyExistsError, NoSelfReferralError, PathwayNotFoundError
from ..fields import SLUG_PATTERN, PathId
from . import service
from .schemas import NODE_PATTERN, PathwayCreate, PathwayPublic

router = APIRouter(
    prefix="/pathways",
    tags=["pathways"],
    responses=problem_responses(UnauthorizedError, UnprocessableContentError),
)


@router.post(
    "",
    status_code=201,
    operation_id="create_pathway",
    summary="Add a pathway",
    response_model=PathwayPublic,
    responses=problem_responses(ForbiddenError, AlreadyExistsError, NoSelfReferralError),
)
def create_pathway(
    *, session: SessionDep, by: Admin, body: PathwayCreate, response: Response
) -> PathwayPublic:
    created = service.create_pathway(session=session, data=body, by=by)
    response.headers["Location"] = f"/pathways/{created.id}"
    return created


@router.get(
    "",
    operation_id="list_pathways",
    summary="List pathways, filtered",
    response_model=Page[PathwayPublic],
)
def list_pathways(
    *,
    session: SessionDep,
    _by: AnyKey,
    from_service: Annotated[
        str | None, Query(pattern=NODE_PATTERN, max_length=100, description="Starting here.")
    ] = None,
    to_service: Annotated[
        str | None, Query(pattern=SLUG_PATTERN, max_length=100, description="Leading here.")
    ] = None,
    service_id: Annotated[
        str | None,
        Query(
            alias="service",
            pattern=SLUG_PATTERN,
            max_length=100,
            description="Into or out of this service.",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[PathwayPublic]:
    return service.list_pathways(
        session=session,
        cursor=cursor,
        limit=limit,
        from_service=from_service,
        to_service=to_service,
        service=service_id,
    )


@router.get(
    "/{pathway_id}",
    operation_id="get_pathway",
    summary="Read a pathway",
    response_model=PathwayPublic,
    responses=problem_responses(PathwayNotFoundError),
)
def get_pathway(*, session: SessionDep, _by: AnyKey, pathway_id: PathId) -> PathwayPublic:
    return service.get_pathway(session=session, pathway_id=pathway_id)


@router.delete(
    "/{pathway_id}",
    status_code=204,
    operation_id="delete_pathway",
    summary="Delete a pathway",
    responses=problem_responses(ForbiddenError, PathwayNotFoundError),
)
def delete_pathway(*, session: SessionDep, by: Admin, pathway_id: PathId) -> Response:
    service.delete_pathway(session=session, pathway_id=pathway_id, by=by)
    return Response(status_code=204)
