"""Queries on ``audit_log``: insert and read, nothing else."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from .models import AuditEvent


def add(*, session: Session, event: AuditEvent) -> AuditEvent:
    """Add ``event`` to the session; it is written with the rest of the transaction's rows at
    the next flush (nothing needs its id before then, and a flush per event is most of the cost
    of a request that writes several rows)."""
    session.add(event)
    return event


def page(
    *,
    session: Session,
    after_id: int | None,
    limit: int,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
) -> list[AuditEvent]:
    """Up to ``limit`` events after ``after_id``, oldest first."""
    statement = select(AuditEvent)
    if after_id is not None:
        statement = statement.where(col(AuditEvent.id) > after_id)
    if entity_type is not None:
        statement = statement.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        statement = statement.where(AuditEvent.entity_id == entity_id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    return list(session.exec(statement.order_by(col(AuditEvent.id)).limit(limit)).all())


def count(*, session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEvent)).one())
