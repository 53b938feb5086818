"""The transactional outbox: webhook events written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_events"
    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "referral_id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    """The ``webhook-id``: ``msg_`` and a uuid, the same on every attempt."""
    type: str = Field(max_length=50)
    service_id: str = Field(max_length=100)
    """The receiving service, whose webhook target gets the event."""
    provider_id: str = Field(max_length=100)
    referral_id: str | None = Field(default=None, max_length=36)
    handover_id: str | None = Field(default=None, max_length=36)
    payload: dict[str, Any] = Field(sa_type=JSON)
    """The whole body sent: ``{"type", "timestamp", "data"}``; thin, no personal data."""
    status: str = Field(max_length=12)
    """``pending``, ``delivered``, ``dead`` (dead-lettered) or ``skipped`` (no webhook)."""
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=UtcDateTime)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=2000)
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    delivered_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
