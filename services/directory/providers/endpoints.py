"""``/providers``: thin endpoints over ``providers.service``."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.common.auth.dependencies import Admin, AnyKey
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

from ..errors import AlreadyExistsError, ProviderHasServicesError, ProviderNotFoundError
from ..fields import PathId
from . import service
from .schemas import ProviderCreate, ProviderPublic, ProviderUpdate

router = APIRouter(
    prefix="/providers",
    tags=["providers"],
    responses=problem_responses(UnauthorizedError, UnprocessableContentError),
)

_ID = {"path.provider_id": "$response.body#/id"}
_ID_AND_ETAG = {**_ID, "header.If-Match": "$response.header.ETag"}
READ_AND_CHANGE = {
    "GetProvider": link("get_provider", "Read the provider back.", _ID),
    "UpdateProvider": link(
        "update_provider", "Change it, with this ETag as If-Match.", _ID_AND_ETAG
    ),
}


@router.post(
    "",
    status_code=201,
    operation_id="create_provider",
    summary="Add a provider",
    response_model=ProviderPublic,
    responses={
        201: {
            "headers": ETAG_HEADER,
            "links": {
                **READ_AND_CHANGE,
                "AddService": link(
                    "create_service",
                    "Add a service that this provider runs.",
                    request_body={"provider_id": "$response.body#/id"},
                ),
                "DeleteProvider": link(
                    "delete_provider", "Delete it (while it runs no services).", _ID_AND_ETAG
                ),
            },
        },
        **problem_responses(ForbiddenError, AlreadyExistsError),
    },
)
def create_provider(
    *, session: SessionDep, by: Admin, body: ProviderCreate, response: Response
) -> ProviderPublic:
    provider = service.create_provider(session=session, data=body, by=by)
    response.headers.update(conditional_headers(service.etag(provider)))
    response.headers["Location"] = f"/providers/{provider.id}"
    return provider


@router.get(
    "",
    operation_id="list_providers",
    summary="List providers",
    response_model=Page[ProviderPublic],
)
def list_providers(
    *, session: SessionDep, _by: AnyKey, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Page[ProviderPublic]:
    """Providers in id order, a page at a time."""
    return service.list_providers(session=session, cursor=cursor, limit=limit)


@router.get(
    "/{provider_id}",
    operation_id="get_provider",
    summary="Read a provider",
    response_model=ProviderPublic,
    responses={
        200: {"headers": ETAG_HEADER, "links": READ_AND_CHANGE},
        **problem_responses(ProviderNotFoundError),
        304: {"description": "Not modified"},
    },
)
def get_provider(
    *,
    session: SessionDep,
    _by: AnyKey,
    provider_id: PathId,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> ProviderPublic | Response:
    provider = service.get_provider(session=session, provider_id=provider_id)
    tag = service.etag(provider)
    if (unchanged := not_modified(if_none_match, tag)) is not None:
        return unchanged
    response.headers.update(conditional_headers(tag))
    return provider


@router.patch(
    "/{provider_id}",
    operation_id="update_provider",
    summary="Change a provider (needs If-Match)",
    response_model=ProviderPublic,
    responses={
        200: {"headers": ETAG_HEADER, "links": READ_AND_CHANGE},
        **problem_responses(
            ForbiddenError,
            ProviderNotFoundError,
            PreconditionFailedError,
            PreconditionRequiredError,
        ),
    },
)
def update_provider(
    *,
    session: SessionDep,
    by: Admin,
    provider_id: PathId,
    body: ProviderUpdate,
    response: Response,
    if_match: IfMatchRequired = None,
) -> ProviderPublic:
    """Only the fields given change. Send the ETag of your last read as `If-Match`."""
    provider = service.update_provider(
        session=session, provider_id=provider_id, data=body, if_match=if_match, by=by
    )
    response.headers.update(conditional_headers(service.etag(provider)))
    return provider


@router.delete(
    "/{provider_id}",
    status_code=204,
    operation_id="delete_provider",
    summary="Delete a provider that runs no services",
    responses=problem_responses(
        ForbiddenError, ProviderNotFoundError, ProviderHasServicesError, PreconditionFailedError
    ),
)
def delete_provider(
    *, session: SessionDep, by: Admin, provider_id: PathId, if_match: IfMatch = None
) -> Response:
    """Refused (409, naming them) while the provider runs services. Revokes its API keys.
    `If-Match` is optional here; when sent, it must be current."""
    service.delete_provider(session=session, provider_id=provider_id, if_match=if_match, by=by)
    return Response(status_code=204)
