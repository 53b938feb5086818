"""FastAPI dependencies for what the router's lifespan provides, and its roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.common.auth.dependencies import require
from services.common.auth.schemas import Principal, Role
from services.common.state import state_item

from .settings import RouterSettings
from .snapshot.service import DirectoryView


# async: reading the request state is not worth a trip to a worker thread.
async def router_settings(request: Request) -> RouterSettings:
    return state_item(request, "settings", RouterSettings)


async def directory_view(request: Request) -> DirectoryView:
    return state_item(request, "directory", DirectoryView)


SettingsDep = Annotated[RouterSettings, Depends(router_settings)]
DirectoryDep = Annotated[DirectoryView, Depends(directory_view)]
Referrer = Annotated[Principal, Depends(require(Role.REFERRER))]
ReferrerOrAdmin = Annotated[Principal, Depends(require(Role.REFERRER, Role.ADMIN))]
Provider = Annotated[Principal, Depends(require(Role.PROVIDER))]
ProviderOrAdmin = Annotated[Principal, Depends(require(Role.PROVIDER, Role.ADMIN))]
CaseParty = Annotated[Principal, Depends(require(Role.REFERRER, Role.PROVIDER, Role.ADMIN))]
