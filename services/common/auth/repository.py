"""Queries on ``api_keys``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, Table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from .models import ApiKey

_TABLE: Table = ApiKey.__table__  # type: ignore[attr-defined]


def active_by_hash(*, session: Session, key_hash: str) -> ApiKey | None:
    statement = select(ApiKey).where(ApiKey.key_hash == key_hash, col(ApiKey.revoked_at).is_(None))
    return session.exec(statement).first()


def active_credentials(
    *, session: Session, key_hash: str
) -> Row[str, str, str, str | None, str] | None:
    """``(id, name, role, provider_id, key_hash)`` of the active key with this hash: what every
    request needs, as a plain row (loading an ``ApiKey`` object costs more than the query)."""
    table = _TABLE
    statement = sa_select(
        table.c.id, table.c.name, table.c.role, table.c.provider_id, table.c.key_hash
    ).where(table.c.key_hash == key_hash, table.c.revoked_at.is_(None))
    return session.connection().execute(statement).first()


def active_named(*, session: Session, name: str) -> list[ApiKey]:
    statement = select(ApiKey).where(ApiKey.name == name, col(ApiKey.revoked_at).is_(None))
    return list(session.exec(statement.order_by(col(ApiKey.created_at))).all())


def active_for_provider(*, session: Session, provider_id: str) -> list[ApiKey]:
    statement = select(ApiKey).where(
        ApiKey.provider_id == provider_id, col(ApiKey.revoked_at).is_(None)
    )
    return list(session.exec(statement.order_by(col(ApiKey.created_at))).all())


def add(*, session: Session, key: ApiKey) -> ApiKey:
    session.add(key)
    session.flush()
    return key


def revoke(*, session: Session, key: ApiKey, at: dt.datetime) -> None:
    key.revoked_at = at
    session.add(key)
    session.flush()
