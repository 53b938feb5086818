"""The console's one query of its own: an API key by id, to re-check a session's key."""

from __future__ import annotations

from sqlmodel import Session, col, select

from services.common.auth.models import ApiKey


def active_key(*, session: Session, key_id: str) -> ApiKey | None:
    """The key with this id, unless it has been revoked."""
    statement = select(ApiKey).where(ApiKey.id == key_id, col(ApiKey.revoked_at).is_(None))
    return session.exec(statement).first()
