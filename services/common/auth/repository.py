"""Queries on ``api_keys``."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect
from sqlmodel import Session, col, select

from ..db import driver_execute
from .models import ApiKey

_TABLE: Table = ApiKey.__table__  # type: ignore[attr-defined]


def active_by_hash(*, session: Session, key_hash: str) -> ApiKey | None:
    statement = select(ApiKey).where(ApiKey.key_hash == key_hash, col(ApiKey.revoked_at).is_(None))
    return session.exec(statement).first()


def active_credentials(
    *, connection: Connection, key_hash: str
) -> tuple[str, str, str, str | None, str] | None:
    """``(id, name, role, provider_id, key_hash)`` of the active key with this hash: what every
    request needs, as a plain row. One fixed SQL text per dialect, run as it is: loading an
    ``ApiKey`` object, or even compiling a ``select``, costs more than the query."""
    sql = _credentials_sql(connection.dialect)
    row = driver_execute(connection, sql, (key_hash,), begin=False).fetchone()
    if row is None:
        return None
    key_id, name, role, provider_id, stored_hash = row
    return str(key_id), str(name), str(role), provider_id, str(stored_hash)


@functools.cache
def _credentials_sql(dialect: Dialect) -> str:
    quote = dialect.identifier_preparer
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    c = _TABLE.c
    columns = ", ".join(
        quote.format_column(col) for col in (c.id, c.name, c.role, c.provider_id, c.key_hash)
    )
    return (
        f"SELECT {columns} FROM {quote.format_table(_TABLE)} "
        f"WHERE {quote.format_column(c.key_hash)} = {marker} "
        f"AND {quote.format_column(c.revoked_at)} IS NULL"
    )


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
