"""Queries on ``outbox_events``: claiming due events, recording attempts, dead letters.

Claiming is one short transaction: pick due rows and lease them to a worker (``claimed_by``,
``claimed_until``). On PostgreSQL the pick is ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent
workers take disjoint rows without waiting on each other; on SQLite the caller's ``BEGIN
IMMEDIATE`` (``services.common.db.writer``) serialises the claims and ``FOR UPDATE`` is not
rendered. Every later write is guarded by ``claimed_by``: a worker whose lease expired and was
taken over cannot overwrite the new owner's outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Table, and_, or_, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from ..snapshot.models import WebhookTarget
from .models import OutboxEvent

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
SKIPPED = "skipped"


def _due(now: dt.datetime) -> Any:
    return and_(
        col(OutboxEvent.status) == PENDING,
        col(OutboxEvent.next_attempt_at) <= now,
        or_(col(OutboxEvent.claimed_until).is_(None), col(OutboxEvent.claimed_until) <= now),
    )


def any_due(*, session: Session, now: dt.datetime) -> bool:
    """Is any event due? A plain read, so an idle worker never takes SQLite's write lock."""
    return session.exec(select(OutboxEvent.id).where(_due(now)).limit(1)).first() is not None


def claim_due(
    *, session: Session, now: dt.datetime, worker: str, lease_until: dt.datetime, limit: int
) -> list[OutboxEvent]:
    """Lease up to ``limit`` due events to ``worker``, oldest due first, counting the attempt.

    The attempt is counted when it is claimed, not when it ends, so that a delivery that kills
    its worker every time still reaches the dead letters instead of looping for ever.
    """
    statement = (
        select(OutboxEvent)
        .where(_due(now))
        .order_by(col(OutboxEvent.next_attempt_at), col(OutboxEvent.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    events = list(session.exec(statement).all())
    for event in events:
        event.claimed_by = worker
        event.claimed_until = lease_until
        event.attempts += 1
        session.add(event)
    session.flush()
    return events


_TABLE: Table = OutboxEvent.__table__  # type: ignore[attr-defined]


def _guarded(event_id: str, worker: str) -> Any:
    return and_(
        _TABLE.c.id == event_id,
        _TABLE.c.claimed_by == worker,
        _TABLE.c.status == PENDING,
    )


def finish(*, session: Session, event_id: str, worker: str, values: Mapping[str, Any]) -> bool:
    """Record the outcome of ``worker``'s attempt and end its lease; False if the lease was lost
    (another worker took the event over), in which case nothing changes."""
    # Core, not the ORM: no object to synchronise, and this runs once per delivery.
    result = session.connection().execute(
        update(_TABLE)
        .where(_guarded(event_id, worker))
        .values(claimed_by=None, claimed_until=None, **values)
    )
    return result.rowcount == 1


def release(*, session: Session, event_ids: Collection[str], worker: str) -> int:
    """Give back claimed events that ``worker`` did not try after all (the attempt it counted
    is returned too); they are due again at once."""
    if not event_ids:
        return 0
    result = session.execute(
        update(OutboxEvent)
        .where(
            col(OutboxEvent.id).in_(list(event_ids)),
            col(OutboxEvent.claimed_by) == worker,
            col(OutboxEvent.status) == PENDING,
        )
        .values(claimed_by=None, claimed_until=None, attempts=OutboxEvent.attempts - 1)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def get(*, session: Session, event_id: str, for_update: bool = False) -> OutboxEvent | None:
    statement = select(OutboxEvent).where(OutboxEvent.id == event_id)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def page(
    *,
    session: Session,
    statuses: Collection[str],
    after: tuple[dt.datetime, str] | None,
    limit: int,
    provider_id: str | None = None,
    service_id: str | None = None,
) -> list[OutboxEvent]:
    """Up to ``limit`` events with one of ``statuses``, oldest first, after ``(created_at, id)``."""
    statement = select(OutboxEvent).where(col(OutboxEvent.status).in_(list(statuses)))
    if after is not None:
        created, event_id = after
        statement = statement.where(
            or_(
                col(OutboxEvent.created_at) > created,
                and_(col(OutboxEvent.created_at) == created, col(OutboxEvent.id) > event_id),
            )
        )
    if provider_id is not None:
        statement = statement.where(OutboxEvent.provider_id == provider_id)
    if service_id is not None:
        statement = statement.where(OutboxEvent.service_id == service_id)
    statement = statement.order_by(col(OutboxEvent.created_at), col(OutboxEvent.id)).limit(limit)
    return list(session.exec(statement).all())


def save(*, session: Session, event: OutboxEvent) -> OutboxEvent:
    session.add(event)
    session.flush()
    return event


def webhook_targets(*, session: Session, service_ids: Collection[str]) -> list[WebhookTarget]:
    """The stored webhook targets (copied from the directory) of these services."""
    if not service_ids:
        return []
    statement = select(WebhookTarget).where(col(WebhookTarget.service_id).in_(list(service_ids)))
    return list(session.exec(statement).all())
