"""Reading what the choices left behind: webhooks queued, audit events, timeline kinds."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.router.outbox.models import OutboxEvent


def webhooks(engine: Engine, referral_id: str) -> list[tuple[str, str]]:
    """(type, service_id) of every webhook queued for the referral, in order."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxEvent)
            .where(OutboxEvent.referral_id == referral_id)
            .order_by(col(OutboxEvent.created_at), col(OutboxEvent.id))
        ).all()
        return [(e.type, e.service_id) for e in rows]


def events(engine: Engine, referral_id: str, type_: str) -> list[OutboxEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxEvent).where(
                    OutboxEvent.referral_id == referral_id, OutboxEvent.type == type_
                )
            ).all()
        )
