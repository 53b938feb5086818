"""Every query on handovers."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from .models import Handover


def get(*, session: Session, handover_id: str) -> Handover | None:
    return session.get(Handover, handover_id)


def page(
    *,
    session: Session,
    provider_id: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> list[Handover]:
    query = select(Handover)
    if provider_id is not None:
        query = query.where(Handover.provider_id == provider_id)
    if status is not None:
        query = query.where(Handover.status == status)
    if after is not None:
        query = query.where(col(Handover.id) > after)
    return list(session.exec(query.order_by(col(Handover.id)).limit(limit + 1)))


def overdue(*, session: Session, now: dt.datetime, limit: int) -> list[Handover]:
    """Requested handovers nobody answered in time, oldest deadline first."""
    query = (
        select(Handover)
        .where(Handover.status == "requested", col(Handover.respond_by) < now)
        .order_by(col(Handover.respond_by))
        .limit(limit)
    )
    return list(session.exec(query))


TAKING_A_PLACE = ("accepted", "in_progress")


def places_taken(*, session: Session, service_id: str, since: dt.datetime | None) -> int:
    """How many of ``service_id``'s handovers hold a place now (accepted or in progress) and
    were accepted after ``since`` (all of them when ``since`` is None)."""
    query = (
        select(func.count())
        .select_from(Handover)
        .where(Handover.service_id == service_id, col(Handover.status).in_(TAKING_A_PLACE))
    )
    if since is not None:
        query = query.where(col(Handover.accepted_at) > since)
    return int(session.exec(query).one())


def lock_service(*, session: Session, service_id: str) -> None:
    """Serialise capacity decisions for one service until the transaction ends. PostgreSQL: a
    transaction-level advisory lock on a stable hash of the id. SQLite needs none: a writing
    request holds the database's write lock (``BEGIN IMMEDIATE``) from its start."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(service_id)})


def lock_key(service_id: str) -> int:
    """A signed 64-bit key, the same in every process and release (not Python's ``hash``)."""
    digest = hashlib.sha256(f"pathways.router.capacity:{service_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
