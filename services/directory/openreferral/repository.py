"""Queries for the export: services with their providers."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..providers.models import Provider
from ..services.models import Service


def count(*, session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Service)).one())


def page(*, session: Session, offset: int, limit: int) -> list[tuple[Service, Provider]]:
    statement = (
        select(Service, Provider)
        .join(Provider, col(Provider.id) == col(Service.provider_id))
        .order_by(col(Service.id))
        .offset(offset)
        .limit(limit)
    )
    return [(s, p) for s, p in session.exec(statement).all()]


def one(
    *, session: Session, service_id: str, openreferral_id: str
) -> tuple[Service, Provider] | None:
    statement = (
        select(Service, Provider)
        .join(Provider, col(Provider.id) == col(Service.provider_id))
        .where((col(Service.id) == service_id) | (col(Service.openreferral_id) == openreferral_id))
    )
    row = session.exec(statement).first()
    return (row[0], row[1]) if row is not None else None
