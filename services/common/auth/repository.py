"""Queries on ``api_keys``."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from .models import ApiKey


def active_by_hash(*, session: Session, key_hash: str) -> ApiKey | None:
    statement = select(ApiKey).where(ApiKey.key_hash == key_hash, col(ApiKey.revoked_at).is_(None))
    return session.exec(statement).first()


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
