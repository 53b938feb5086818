"""Every query on handovers."""

from __future__ import annotations

import datetime as dt

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
