"""Queries on ``services`` and their filter indexes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from graph.vocabulary import ENTRY_SELF

from ..pathways.models import Pathway
from .models import Service, ServiceArea, ServiceNeed


def get(*, session: Session, service_id: str, for_update: bool = False) -> Service | None:
    statement = select(Service).where(Service.id == service_id)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def by_openreferral_id(*, session: Session, openreferral_id: str) -> Service | None:
    return session.exec(select(Service).where(Service.openreferral_id == openreferral_id)).first()


def exists(*, session: Session, service_id: str) -> bool:
    return session.exec(select(Service.id).where(Service.id == service_id)).first() is not None


def page(
    *,
    session: Session,
    after: str | None,
    limit: int,
    area: str | None = None,
    need: str | None = None,
    provider_id: str | None = None,
    capacity_status: str | None = None,
) -> list[Service]:
    statement = select(Service)
    if after is not None:
        statement = statement.where(col(Service.id) > after)
    if provider_id is not None:
        statement = statement.where(Service.provider_id == provider_id)
    if capacity_status is not None:
        statement = statement.where(Service.capacity_status == capacity_status)
    if need is not None:
        statement = statement.where(
            col(Service.id).in_(select(ServiceNeed.service_id).where(ServiceNeed.need == need))
        )
    if area is not None:
        statement = statement.where(
            or_(
                col(Service.serves_all_areas),
                col(Service.id).in_(select(ServiceArea.service_id).where(ServiceArea.area == area)),
            )
        )
    return list(session.exec(statement.order_by(col(Service.id)).limit(limit)).all())


def save(*, session: Session, service: Service) -> Service:
    session.add(service)
    session.flush()
    return service


def replace_indexes(
    *, session: Session, service_id: str, needs: Iterable[str], areas: Iterable[str]
) -> None:
    """Rewrite the need and area index rows of one service."""
    session.execute(sql_delete(ServiceNeed).where(col(ServiceNeed.service_id) == service_id))
    session.execute(sql_delete(ServiceArea).where(col(ServiceArea.service_id) == service_id))
    session.add_all(ServiceNeed(service_id=service_id, need=n) for n in sorted(set(needs)))
    session.add_all(ServiceArea(service_id=service_id, area=a) for a in sorted(set(areas)))
    session.flush()


def delete(*, session: Session, service: Service) -> None:
    session.delete(service)
    session.flush()


def pathways_touching(
    *, session: Session, service_id: str, limit: int
) -> tuple[int, int, list[Pathway]]:
    """Pathways into and out of a service: (count in, count out, the first ``limit``)."""
    into = session.exec(
        select(func.count()).select_from(Pathway).where(Pathway.to_service_id == service_id)
    ).one()
    out_of = session.exec(
        select(func.count()).select_from(Pathway).where(Pathway.from_service_id == service_id)
    ).one()
    first = session.exec(
        select(Pathway)
        .where(
            or_(
                col(Pathway.to_service_id) == service_id,
                col(Pathway.from_service_id) == service_id,
            )
        )
        .order_by(col(Pathway.id))
        .limit(limit)
    ).all()
    return int(into), int(out_of), list(first)


def has_self_referral_pathway(*, session: Session, service_id: str) -> bool:
    statement = select(Pathway.id).where(
        Pathway.to_service_id == service_id, Pathway.from_entry == ENTRY_SELF
    )
    return session.exec(statement).first() is not None
