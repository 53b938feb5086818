"""``/services``: thin endpoints over ``services.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from graph.vocabulary import CapacityStatus, Need
from services.common.auth.dependencies import Admin, AnyKey, require
from services.common.auth.schemas import Principal, Role
from services.common.db import SessionDep
from services.common.errors import (
    ForbiddenError,
    PreconditionFailedError,
    PreconditionRequiredError,
    UnauthorizedError,
    UnprocessableContentError,
    problem_responses,
)
from services.common.etag import (
    IfMatch,
    IfMatchRequired,
    IfNoneMatch,
    conditional_headers,
    not_modified,
)
from services.common.openapi import ETAG_HEADER, link
from services.common.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

from ..dependencies import SettingsDep
from ..errors import (
    AlreadyExistsError,
    SelfReferralPathwaysError,
    ServiceHasPathwaysError,
    ServiceNotFoundError,
)
from ..fields import SLUG_PATTERN, PathId
from . import service
from .schemas import Capacity, CapacityIn, ServiceCreate, ServicePublic, ServiceUpdate

router = APIRouter(
    prefix="/services",
    tags=["services"],
    responses=problem_responses(UnauthorizedError, UnprocessableContentError),
)

AdminOrProvider = Annotated[Principal, Depends(require(Role.ADMIN, Role.PROVIDER))]

_ID = {"path.service_id": "$response.body#/id"}
_ID_AND_ETAG = {**_ID, "header.If-Match": "$response.header.ETag"}
READ_AND_CHANGE = {
    "GetService": link("get_service", "Read the service back.", _ID),
    "UpdateService": link(
        "update_service",
        "Change it, with this ETag as If-Match (run by the same provider).",
        _ID_AND_ETAG,
        request_body={"provider_id": "$response.body#/provider_id"},
    ),
}


@router.post(
    "",
    status_code=201,
    operation_id="create_service",
    summary="Add a service",
    response_model=ServicePublic,
    response_model_exclude_unset=True,
    responses={
        201: {
            "headers": ETAG_HEADER,
            "links": {
                **READ_AND_CHANGE,
                "PutCapacity": link("put_service_capacity", "Set its capacity.", _ID),
                "AddPathwayTo": link(
                    "create_pathway",
                    "Add a pathway leading to it.",
                    request_body={"to_service": "$response.body#/id"},
                ),
                "DeleteService": link(
                    "delete_service", "Delete it (while no pathway uses it).", _ID_AND_ETAG
                ),
            },
        },
        **problem_responses(ForbiddenError, AlreadyExistsError),
    },
)
def create_service(
    *,
    session: SessionDep,
    settings: SettingsDep,
    by: Admin,
    body: ServiceCreate,
    response: Response,
) -> ServicePublic:
    """Capacity given here is stamped now. A webhook without a secret gets a generated one."""
    created = service.create_service(
        session=session,
        data=body,
        by=by,
        allow_insecure_webhooks=settings.allow_insecure_webhooks,
    )
    response.headers.update(conditional_headers(service.etag(created)))
    response.headers["Location"] = f"/services/{created.id}"
    return created


@router.get(
    "",
    operation_id="list_services",
    summary="List services, filtered",
    response_model=Page[ServicePublic],
    response_model_exclude_unset=True,
)
def list_services(
    *,
    session: SessionDep,
    by: AnyKey,
    area: Annotated[
        str | None,
        Query(
            pattern=r"^[EWSN]\d{8}$",
            description="Services open to victims in this ONS area (including those with no "
            "area restriction).",
        ),
    ] = None,
    need: Annotated[Need | None, Query(description="Services that meet this need.")] = None,
    provider: Annotated[
        str | None,
        Query(pattern=SLUG_PATTERN, max_length=100, description="Services of this provider."),
    ] = None,
    capacity_status: Annotated[
        CapacityStatus | None, Query(description="Services with this capacity status.")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ServicePublic]:
    """Services in id order, a page at a time. Filters combine (all must hold)."""
    return service.list_services(
        session=session,
        by=by,
        cursor=cursor,
        limit=limit,
        area=area,
        need=need.value if need is not None else None,
        provider_id=provider,
        capacity_status=capacity_status.value if capacity_status is not None else None,
    )


@router.get(
    "/{service_id}",
    operation_id="get_service",
    summary="Read a service",
    response_model=ServicePublic,
    response_model_exclude_unset=True,
    responses={
        200: {"headers": ETAG_HEADER, "links": READ_AND_CHANGE},
        **problem_responses(ServiceNotFoundError),
        304: {"description": "Not modified"},
    },
)
def get_service(
    *,
    session: SessionDep,
    by: AnyKey,
    service_id: PathId,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> ServicePublic | Response:
    """Its `ETag` is what `PATCH` needs as `If-Match`."""
    found = service.get_service(session=session, service_id=service_id, by=by)
    tag = service.etag(found)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    response.headers.update(conditional_headers(tag))
    return found


@router.patch(
    "/{service_id}",
    operation_id="update_service",
    summary="Change a service (needs If-Match)",
    response_model=ServicePublic,
    response_model_exclude_unset=True,
    responses={
        200: {"headers": ETAG_HEADER, "links": READ_AND_CHANGE},
        **problem_responses(
            ForbiddenError,
            ServiceNotFoundError,
            SelfReferralPathwaysError,
            PreconditionFailedError,
            PreconditionRequiredError,
        ),
    },
)
def update_service(
    *,
    session: SessionDep,
    settings: SettingsDep,
    by: Admin,
    service_id: PathId,
    body: ServiceUpdate,
    response: Response,
    if_match: IfMatchRequired = None,
) -> ServicePublic:
    """Only the fields given change; `eligibility` given is replaced whole."""
    updated = service.update_service(
        session=session,
        service_id=service_id,
        data=body,
        if_match=if_match,
        by=by,
        allow_insecure_webhooks=settings.allow_insecure_webhooks,
    )
    response.headers.update(conditional_headers(service.etag(updated)))
    return updated


@router.put(
    "/{service_id}/capacity",
    operation_id="put_service_capacity",
    summary="Set a service's capacity (admin, or the provider that runs it)",
    response_model=Capacity,
    responses=problem_responses(ForbiddenError, ServiceNotFoundError),
)
def put_capacity(
    *, session: SessionDep, by: AdminOrProvider, service_id: PathId, body: CapacityIn
) -> Capacity:
    """`updated` is set by the server. Another provider's service answers 404."""
    return service.put_capacity(session=session, service_id=service_id, data=body, by=by)


@router.delete(
    "/{service_id}",
    status_code=204,
    operation_id="delete_service",
    summary="Delete a service that no pathway uses",
    responses=problem_responses(
        ForbiddenError, ServiceNotFoundError, ServiceHasPathwaysError, PreconditionFailedError
    ),
)
def delete_service(
    *, session: SessionDep, by: Admin, service_id: PathId, if_match: IfMatch = None
) -> Response:
    """Refused (409, naming them) while pathways lead to or from it."""
    service.delete_service(session=session, service_id=service_id, if_match=if_match, by=by)
    return Response(status_code=204)
