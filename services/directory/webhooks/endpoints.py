"""``GET /webhook-targets``: where the router delivers each service's webhooks, and with which
secret it signs them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.common.auth.dependencies import require
from services.common.auth.schemas import Principal, Role
from services.common.db import SessionDep
from services.common.errors import ForbiddenError, UnauthorizedError, problem_responses
from services.common.etag import IfNoneMatch, if_none_match_hits

from . import service
from .schemas import WebhookTargets

router = APIRouter(tags=["webhooks"])

TargetReader = Annotated[Principal, Depends(require(Role.SERVICE, Role.ADMIN))]


def _headers(etag: str) -> dict[str, str]:
    # Secrets: no cache may keep a copy. The router keeps the ETag itself and revalidates.
    return {"ETag": etag, "Cache-Control": "no-store", "Vary": "Authorization"}


@router.get(
    "/webhook-targets",
    operation_id="get_webhook_targets",
    summary="Webhook URLs and signing secrets, for the router (service and admin keys only)",
    response_model=WebhookTargets,
    responses={
        **problem_responses(UnauthorizedError, ForbiddenError),
        304: {"description": "Not modified: the ETag in If-None-Match is still current"},
    },
)
def get_webhook_targets(
    *, session: SessionDep, _by: TargetReader, response: Response, if_none_match: IfNoneMatch = None
) -> WebhookTargets | Response:
    """Every service that has a webhook, with its URL and its Standard Webhooks secret.

    **Why this exists.** The router tells provider systems about handovers by signed webhook,
    and it can only sign a delivery with the receiving service's secret. Everywhere else a
    webhook's URL and secret are shown to admins alone; this endpoint is the one
    machine-to-machine exception, for the router's `service` key (and admins). Provider and
    referrer keys get 403, and no secret is ever written to the audit log or the snapshot.

    The `ETag` follows the directory's version: send it back as `If-None-Match` to get 304
    while nothing has changed. Responses are `Cache-Control: no-store`.
    """
    etag, version = service.current(session=session)
    if if_none_match_hits(if_none_match, etag):
        return Response(status_code=304, headers=_headers(etag))
    response.headers.update(_headers(etag))
    return service.targets(session=session, version=version)
