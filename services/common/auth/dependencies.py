"""FastAPI dependencies: the calling principal, and role requirements."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from ..db import UNREAD, LoopReader, SessionDep, reading_connection
from ..errors import ForbiddenError, UnauthorizedError
from ..state import state_item
from . import service
from .schemas import Principal, Role

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made by `pathways keys create`, sent as `Authorization: Bearer <key>`.",
)


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The principal of the request's key, looked up afresh (a revoked key stops at once): on
    SQLite on the event loop (``LoopReader``: no hand-off to a worker thread and back, which
    cost more than the lookup), else, or when that cannot read without waiting, in a worker
    thread, in ``session``'s transaction (``reading_connection``)."""
    if credentials is None:
        raise UnauthorizedError("An API key is required: send Authorization: Bearer <key>")
    key = credentials.credentials
    loop_reader = state_item(request, "loop_reader", LoopReader)
    principal = loop_reader.read(lambda c: service.check_key(connection=c, key=key))
    if principal is UNREAD:
        principal = await anyio.to_thread.run_sync(_check_in_thread, session, loop_reader, key)
    if principal is None:
        raise UnauthorizedError("The API key is not valid (wrong, or revoked)", invalid_token=True)
    return principal


def _check_in_thread(session: Session, loop_reader: LoopReader, key: str) -> Principal | None:
    loop_reader.open()  # for the requests to come (SQLite; once)
    with reading_connection(session) as connection:
        return service.check_key(connection=connection, key=key)


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
