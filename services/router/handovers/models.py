"""The ``handovers`` table: one service's part in a victim's plan, and its lifecycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime


class Handover(SQLModel, table=True):
    __tablename__ = "handovers"
    __table_args__ = (
        Index(None, "referral_id", "seq"),
        Index(None, "provider_id", "status", "id"),
        Index(None, "status", "respond_by"),
    )

    id: str = Field(primary_key=True, max_length=36)
    referral_id: str = Field(foreign_key="referrals.id", max_length=36)
    seq: int
    """Order within the referral: the order the plan lists them."""
    service_id: str = Field(max_length=100)
    provider_id: str = Field(max_length=100)
    service_name: str = Field(max_length=200)
    from_node: str = Field(max_length=100)
    needs: list[str] = Field(sa_type=JSON)
    mode: str = Field(max_length=10)
    status: str = Field(max_length=12)
    lead: bool = False
    """This service owns the case now (the planned lead once it has made first contact)."""
    explanation: dict[str, Any] = Field(sa_type=JSON)
    response_hours: int
    release_after: list[str] | None = Field(default=None, sa_type=JSON)
    """Scheduled release: cancelled once every service here has made first contact."""
    release_reason: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=2000)
    """Why it was declined, expired or cancelled."""
    outcomes: dict[str, str] | None = Field(default=None, sa_type=JSON)
    satisfaction: int | None = None
    """The victim's satisfaction at completion, 1 (very dissatisfied) to 5 (very satisfied)."""
    satisfaction_reason: str | None = Field(default=None, max_length=2000)
    requested_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    respond_by: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    accepted_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    contacted_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    updated_at: dt.datetime = Field(sa_type=UtcDateTime)
