"""Queries on ``pathways``."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from graph.vocabulary import ENTRY_NODES

from .models import Pathway


def _from(node: str) -> ColumnElement[bool]:
    if node in ENTRY_NODES:
        return col(Pathway.from_entry) == node
    return col(Pathway.from_service_id) == node


def get(*, session: Session, pathway_id: str, for_update: bool = False) -> Pathway | None:
    statement = select(Pathway).where(Pathway.id == pathway_id)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def between(*, session: Session, from_node: str, to_service: str) -> Pathway | None:
    statement = select(Pathway).where(_from(from_node), Pathway.to_service_id == to_service)
    return session.exec(statement).first()


def page(
    *,
    session: Session,
    after: str | None,
    limit: int,
    from_node: str | None = None,
    to_service: str | None = None,
    touching: str | None = None,
) -> list[Pathway]:
    statement = select(Pathway)
    if after is not None:
        statement = statement.where(col(Pathway.id) > after)
    if from_node is not None:
        statement = statement.where(_from(from_node))
    if to_service is not None:
        statement = statement.where(Pathway.to_service_id == to_service)
    if touching is not None:
        statement = statement.where(
            or_(col(Pathway.from_service_id) == touching, col(Pathway.to_service_id) == touching)
        )
    return list(session.exec(statement.order_by(col(Pathway.id)).limit(limit)).all())


def add(*, session: Session, pathway: Pathway) -> Pathway:
    session.add(pathway)
    session.flush()
    return pathway


def delete(*, session: Session, pathway: Pathway) -> None:
    session.delete(pathway)
    session.flush()
