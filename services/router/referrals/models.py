"""Tables: referrals, their assessments, their timeline, and idempotency keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer
from sqlmodel import Field, SQLModel, col

from services.common.db import UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Referral(SQLModel, table=True):
    """One victim's referral: who sent it, what it says, and its current plan."""

    __tablename__ = "referrals"
    __table_args__ = (Index(None, "referrer", "created_at"),)

    id: str = Field(primary_key=True, max_length=36)
    referrer: str = Field(max_length=100)
    """The name of the referrer's key: a referrer sees only the referrals it made."""
    source_kind: str = Field(max_length=10)
    source_reference: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=10)
    risk_level: str = Field(max_length=10)
    enhanced: bool
    enhanced_reasons: list[str] = Field(sa_type=JSON)
    marac: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    risk_notes: list[str] = Field(sa_type=JSON)
    refer_by: dt.date = Field(sa_type=Date)
    first_update_by: dt.date = Field(sa_type=Date)
    received_on: dt.date = Field(sa_type=Date)
    directory_version: str = Field(max_length=100)
    directory_stale: bool = False
    entry: str = Field(max_length=20)
    mode: str = Field(max_length=10)
    lead_service_id: str | None = Field(default=None, max_length=100)
    """The planned lead; the acting lead is the handover flagged ``lead``."""
    victim: dict[str, Any] = Field(sa_type=JSON)
    """Personal data: every read by a provider or referrer is audited."""
    incident: dict[str, Any] = Field(sa_type=JSON)
    unmet: list[dict[str, Any]] = Field(sa_type=JSON)
    implied_needs: list[dict[str, Any]] = Field(sa_type=JSON)
    assessment_count: int = 1
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    updated_at: dt.datetime = Field(sa_type=UtcDateTime)
    # Scheduled reviews (services/router/reviews).
    next_review_on: dt.date | None = Field(default=None, sa_type=Date)
    """When the next review is due (the day in England). Null until the first review is
    scheduled explicitly: it is then due at ``received_on`` plus its risk level's interval."""
    review_requested_by: str | None = Field(default=None, max_length=100)
    """Who brought the next review forward, until that review is done."""
    review_reason: str | None = Field(default=None, max_length=2000)
    """Why the next review was brought forward."""
    # The victim's choices (services/router/choices).
    paused: bool = False
    """The victim asked that nobody contact them for now; handovers stay as they are."""
    paused_until: dt.date | None = Field(default=None, sa_type=Date)
    """The last day of the pause (the day in England); None: until the victim resumes it."""
    pause_reason: str | None = Field(default=None, max_length=2000)
    paused_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    paused_by: str | None = Field(default=None, max_length=100)
    """Who recorded the pause, on the victim's word."""


# What GET /reviews/due asks of open referrals: a review scheduled by date, or a first review
# by risk level and day received.
Index(
    "ix_referrals_review_due", col(Referral.status), col(Referral.next_review_on), col(Referral.id)
)
Index(
    "ix_referrals_first_review",
    col(Referral.status),
    col(Referral.risk_level),
    col(Referral.received_on),
    col(Referral.id),
)


class Assessment(SQLModel, table=True):
    """Every needs assessment of a referral, the first one included, oldest first."""

    __tablename__ = "assessments"
    __table_args__ = (Index(None, "referral_id", "seq", unique=True),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    referral_id: str = Field(foreign_key="referrals.id", max_length=36)
    seq: int
    body: dict[str, Any] = Field(sa_type=JSON)
    risk_level: str = Field(max_length=10)
    by_name: str = Field(max_length=100)
    by_role: str = Field(max_length=16)
    created_at: dt.datetime = Field(sa_type=UtcDateTime)


class TimelineEvent(SQLModel, table=True):
    """What happened in a referral, in plain words, for keeping the victim informed."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index(None, "referral_id", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    referral_id: str = Field(foreign_key="referrals.id", max_length=36)
    handover_id: str | None = Field(default=None, max_length=36)
    occurred_at: dt.datetime = Field(sa_type=UtcDateTime)
    kind: str = Field(max_length=50)
    actor: str = Field(max_length=100)
    text: str = Field(max_length=2000)


class IdempotencyKey(SQLModel, table=True):
    """A ``POST /referrals`` seen with an ``Idempotency-Key``, per calling principal."""

    __tablename__ = "idempotency_keys"

    principal: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    status: str = Field(max_length=12)
    """``in_progress`` while the first request runs (seen only by its own transaction: the
    claim commits with the answer), then ``done``."""
    claimed_at: dt.datetime = Field(sa_type=UtcDateTime)
    referral_id: str | None = Field(default=None, max_length=36)
    response_status: int | None = None
    response: dict[str, Any] | None = Field(default=None, sa_type=JSON)
