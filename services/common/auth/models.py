"""The ``api_keys`` table (each service has its own, created by its migrations)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from ..db import UtcDateTime


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    provider_id: str | None = Field(default=None, max_length=100)
    key_hash: str = Field(max_length=64, unique=True)
    """SHA-256 of the key, hex: the key itself is never stored."""
    prefix: str = Field(max_length=16)
    """The key's first characters, to recognise it in lists and logs."""
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
