"""``GET /vocabulary`` (open: no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from graph.vocabulary import vocabulary

router = APIRouter(tags=["vocabulary"])


@router.get(
    "/vocabulary",
    operation_id="get_vocabulary",
    summary="Every code list",
    response_model=dict[str, list[str] | list[int]],
)
def get_vocabulary() -> JSONResponse:
    """Needs, severities, risk levels and flags, roles, sexes, incident kinds, capacity and
    handover statuses, checks and entry nodes: the only codes the API accepts."""
    return JSONResponse(vocabulary(), headers={"Cache-Control": "public, max-age=300"})
