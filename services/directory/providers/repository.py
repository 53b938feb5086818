"""Queries on ``providers``."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..services.models import Service
from .models import Provider


def get(*, session: Session, provider_id: str, for_update: bool = False) -> Provider | None:
    statement = select(Provider).where(Provider.id == provider_id)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def exists(*, session: Session, provider_id: str) -> bool:
    return get(session=session, provider_id=provider_id) is not None


def page(*, session: Session, after: str | None, limit: int) -> list[Provider]:
    statement = select(Provider)
    if after is not None:
        statement = statement.where(col(Provider.id) > after)
    return list(session.exec(statement.order_by(col(Provider.id)).limit(limit)).all())


def add(*, session: Session, provider: Provider) -> Provider:
    session.add(provider)
    session.flush()
    return provider


def delete(*, session: Session, provider: Provider) -> None:
    session.delete(provider)
    session.flush()


def service_ids(*, session: Session, provider_id: str, limit: int) -> tuple[int, list[str]]:
    """How many services the provider runs, and the first ``limit`` of their ids."""
    total = session.exec(
        select(func.count()).select_from(Service).where(Service.provider_id == provider_id)
    ).one()
    ids = session.exec(
        select(Service.id)
        .where(Service.provider_id == provider_id)
        .order_by(col(Service.id))
        .limit(limit)
    ).all()
    return int(total), list(ids)
