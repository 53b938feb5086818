"""FastAPI dependencies: the calling principal, and role requirements."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..db import SessionDep, reading_connection
from ..errors import ForbiddenError, UnauthorizedError
from . import service
from .schemas import Principal, Role

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made by `pathways keys create`, sent as `Authorization: Bearer <key>`.",
)


def current_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None:
        raise UnauthorizedError("An API key is required: send Authorization: Bearer <key>")
    with reading_connection(session) as connection:
        principal = service.check_key(connection=connection, key=credentials.credentials)
    if principal is None:
        raise UnauthorizedError("The API key is not valid (wrong, or revoked)", invalid_token=True)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets through only principals with one of ``roles``."""
    allowed = frozenset(roles)
    names = " or ".join(sorted(r.value for r in allowed))

    # async: a check that does no I/O is not worth a trip to a worker thread.
    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise ForbiddenError(
                f"This needs a key with the role {names}; yours is {principal.role}"
            )
        return principal

    return dependency


AnyKey = CurrentPrincipal
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
