"""FastAPI dependencies for what the directory's lifespan provides."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.common.state import state_item

from .settings import DirectorySettings
from .snapshot.service import SnapshotCache


def directory_settings(request: Request) -> DirectorySettings:
    return state_item(request, "settings", DirectorySettings)


def snapshot_cache(request: Request) -> SnapshotCache:
    return state_item(request, "snapshots", SnapshotCache)


SettingsDep = Annotated[DirectorySettings, Depends(directory_settings)]
SnapshotsDep = Annotated[SnapshotCache, Depends(snapshot_cache)]
