"""``POST /search``."""

from __future__ import annotations

from fastapi import APIRouter

from services.common.auth.dependencies import AnyKey
from services.common.db import SessionDep, utcnow
from services.common.errors import UnauthorizedError, UnprocessableContentError, problem_responses

from ..dependencies import SnapshotsDep
from . import service
from .schemas import SearchRequest, SearchResponse

router = APIRouter(tags=["search"])


@router.post(
    "/search",
    operation_id="search_services",
    summary="Eligible services for a victim profile, ranked, and near misses",
    response_model=SearchResponse,
    responses=problem_responses(UnauthorizedError, UnprocessableContentError),
)
def search_services(
    *, session: SessionDep, _by: AnyKey, cache: SnapshotsDep, body: SearchRequest
) -> SearchResponse:
    """Checks every service listing a need of severity 1 or more (or, with none, every service
    in the area) with graph/'s eligibility rules, today. Red services and refused ones count as
    failures. Nothing is stored."""
    return service.search(session=session, cache=cache, body=body, now=utcnow())
