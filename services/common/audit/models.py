"""The ``audit_log`` table (each service has its own, created by its migrations)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer
from sqlmodel import Field, SQLModel

from ..db import UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
AuditId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "entity_type", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=AuditId)
    occurred_at: dt.datetime = Field(sa_type=UtcDateTime, index=True)
    actor_name: str = Field(max_length=100)
    actor_role: str = Field(max_length=16)
    actor_key_id: str | None = Field(default=None, max_length=36)
    actor_provider_id: str | None = Field(default=None, max_length=100)
    action: str = Field(max_length=50)
    entity_type: str = Field(max_length=50)
    entity_id: str = Field(max_length=200)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
