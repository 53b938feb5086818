"""What the outbox endpoints return (admins only). No webhook URL or secret is ever in them."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class OutboxStatus(StrEnum):
    PENDING = "pending"
    """Waiting for its next attempt (``next_attempt_at``)."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    DEAD = "dead"
    """Dead-lettered: the receiver answered 410 Gone, or every attempt failed."""
    SKIPPED = "skipped"
    """Not sent: the service has no webhook (its provider polls ``GET /handovers``)."""


class UndeliveredStatus(StrEnum):
    """The statuses ``GET /outbox/dead-letters`` lists, and ``replay`` takes back."""

    DEAD = "dead"
    SKIPPED = "skipped"


class OutboxEventPublic(BaseModel):
    """One webhook event and how its delivery went."""

    id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    type: str = Field(description="e.g. `handover.requested`.")
    service_id: str = Field(description="The receiving service.")
    provider_id: str
    referral_id: str | None
    handover_id: str | None
    status: OutboxStatus
    attempts: int = Field(description="Delivery attempts made (0 after a replay).")
    next_attempt_at: dt.datetime = Field(description="When a pending event is tried next.")
    last_status_code: int | None = Field(description="What the receiver last answered, if any.")
    last_error: str | None = Field(
        description="Why the last attempt failed, or why the event was skipped or dead-lettered."
    )
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    payload: dict[str, Any] = Field(
        description='The body sent: `{"type", "timestamp", "data"}` (ids and statuses only).'
    )
