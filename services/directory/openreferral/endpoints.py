"""``GET /openreferral/services`` and ``GET /openreferral/services/{id}`` (open: no key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.common.db import SessionDep
from services.common.errors import (
    ServiceUnavailableError,
    UnprocessableContentError,
    problem_responses,
)

from ..fields import PathId
from . import service
from .schemas import HsdsPage, HsdsService

router = APIRouter(
    prefix="/openreferral",
    tags=["openreferral"],
    # Open to all, so not declared with the keyed operations: it reads the database too.
    responses=problem_responses(UnprocessableContentError, ServiceUnavailableError),
)

PUBLIC_CACHE = {"Cache-Control": "public, max-age=60"}


@router.get(
    "/services",
    operation_id="openreferral_list_services",
    summary="Services as Open Referral (HSDS 3.1), a page at a time",
    response_model=HsdsPage,
    response_model_exclude_none=True,
)
def list_services(
    *,
    session: SessionDep,
    response: Response,
    page: Annotated[int, Query(ge=1, le=100_000, description="1 for the first page.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> HsdsPage:
    response.headers.update(PUBLIC_CACHE)
    return service.list_services(session=session, page=page, per_page=per_page)


@router.get(
    "/services/{service_id}",
    operation_id="openreferral_get_service",
    summary="One service as Open Referral (HSDS 3.1)",
    response_model=HsdsService,
    response_model_exclude_none=True,
    responses=problem_responses(service.OpenReferralServiceNotFoundError),
)
def get_service(*, session: SessionDep, response: Response, service_id: PathId) -> HsdsService:
    """By the export's uuid (`id`) or by our service id."""
    response.headers.update(PUBLIC_CACHE)
    return service.get_service(session=session, service_id=service_id)
