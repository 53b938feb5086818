"""The last good directory snapshot and the webhook targets, kept so the router can go on
routing and delivering while the directory is down (and after a restart)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime


class StoredSnapshot(SQLModel, table=True):
    __tablename__ = "directory_snapshots"

    id: int = Field(default=1, primary_key=True)
    """Always 1: only the last good snapshot is kept."""
    version: str = Field(max_length=100)
    etag: str | None = Field(default=None, max_length=200)
    document: dict[str, Any] = Field(sa_type=JSON)
    fetched_at: dt.datetime = Field(sa_type=UtcDateTime)


class WebhookTarget(SQLModel, table=True):
    """Where a service's handovers are delivered, from the directory (secret included)."""

    __tablename__ = "webhook_targets"

    service_id: str = Field(primary_key=True, max_length=100)
    provider_id: str = Field(max_length=100)
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=300)
    updated_at: dt.datetime = Field(sa_type=UtcDateTime)
