"""Queries for the webhook targets: the services that have a webhook."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ..services.models import Service


def with_webhooks(*, session: Session) -> list[Service]:
    """Every service with a webhook URL and secret, in id order."""
    statement = (
        select(Service)
        .where(col(Service.webhook_url).is_not(None), col(Service.webhook_secret).is_not(None))
        .order_by(col(Service.id))
    )
    return list(session.exec(statement).all())
