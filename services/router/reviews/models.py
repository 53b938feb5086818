"""The ``reviews`` table: every scheduled review of a referral, oldest first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, Integer
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Review(SQLModel, table=True):
    """One review: a ``no_change`` confirmation or a reassessment (``reassessed``)."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index(None, "referral_id", "seq", unique=True),
        Index(None, "done_on"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    referral_id: str = Field(foreign_key="referrals.id", max_length=36)
    seq: int
    outcome: str = Field(max_length=12)
    """``no_change`` or ``reassessed``."""
    due_on: dt.date = Field(sa_type=Date)
    """When the review was due (the day in England)."""
    done_on: dt.date = Field(sa_type=Date)
    done_at: dt.datetime = Field(sa_type=UtcDateTime)
    late: bool
    """Done after ``due_on``."""
    risk_level: str = Field(max_length=10)
    """The referral's risk level once reviewed."""
    assessment_seq: int | None = None
    """For a reassessment: the assessment it made."""
    next_review_on: dt.date = Field(sa_type=Date)
    """The next review it scheduled."""
    by_name: str = Field(max_length=100)
    by_role: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=2000)
