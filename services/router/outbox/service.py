"""The webhook outbox: events are written in the transaction of the change they announce.

``enqueue`` is all the rest of the router needs: it adds the event to the session, and the
event is sent only if that transaction commits. Delivery (signing, retries, dead letters) lives
in ``delivery.py`` and runs in the worker.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from .models import OutboxEvent

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def enqueue(
    *,
    session: Session,
    type: str,
    service_id: str,
    provider_id: str,
    data: Mapping[str, Any],
    now: dt.datetime,
    referral_id: str | None = None,
    handover_id: str | None = None,
) -> OutboxEvent:
    """Add one webhook event for ``service_id``'s target; it goes out once the session commits.

    ``data`` must be thin: ids, status and what the provider needs to act, never more personal
    data than the handover's mode allows (the router sends none: providers fetch details with
    their key, and every such read is audited).
    """
    event = OutboxEvent(
        id=new_webhook_id(),
        type=type,
        service_id=service_id,
        provider_id=provider_id,
        referral_id=referral_id,
        handover_id=handover_id,
        payload={"type": type, "timestamp": now.isoformat(), "data": dict(data)},
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(event)
    return event
