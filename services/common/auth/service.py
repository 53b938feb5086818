"""Making, checking and revoking API keys.

Keys are 256 random bits (``secrets``), so a single SHA-256 is the right hash: there is nothing to
brute-force that a slow password hash would protect. The lookup is by hash; the final comparison
uses ``hmac.compare_digest`` so that no code path compares secrets byte by byte.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid

from sqlalchemy.engine import Connection
from sqlmodel import Session

from .. import audit
from ..db import utcnow
from . import repository
from .models import ApiKey
from .schemas import Principal, Role

KEY_PREFIX = "pwk_"
PREFIX_SHOWN = 12
MAX_KEY_LENGTH = 200
_KEY_SHAPE = re.compile(r"^[A-Za-z0-9._~+/=-]{1,200}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._:@-]{0,99}$")


class InvalidKeyRequestError(ValueError):
    """A key that cannot be created as asked (the message says why)."""


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    *,
    session: Session,
    role: Role,
    name: str,
    provider_id: str | None = None,
    replace: bool = False,
    by: Principal,
) -> tuple[ApiKey, str]:
    """Store a new key's hash; return the row and the key (shown once, never stored).

    ``replace`` first revokes the active keys of the same name (handy for demo keys).
    """
    if not _NAME.match(name):
        raise InvalidKeyRequestError(
            "the name must be 1-100 letters, digits, spaces or ._:@-, starting with a letter "
            "or a digit"
        )
    if role is Role.PROVIDER and not provider_id:
        raise InvalidKeyRequestError("a provider key must be bound to a provider: give --provider")
    if role is not Role.PROVIDER and provider_id:
        raise InvalidKeyRequestError("only a provider key is bound to a provider")
    now = utcnow()
    if replace:
        for old in repository.active_named(session=session, name=name):
            revoke_key(session=session, key=old, by=by)
    plaintext = generate_key()
    row = repository.add(
        session=session,
        key=ApiKey(
            id=str(uuid.uuid4()),
            name=name,
            role=role.value,
            provider_id=provider_id,
            key_hash=hash_key(plaintext),
            prefix=plaintext[:PREFIX_SHOWN],
            created_at=now,
        ),
    )
    audit.service.record(
        session=session,
        by=by,
        action="api_key.create",
        entity_type="api_key",
        entity_id=row.id,
        before=None,
        after=_public(row),
    )
    return row, plaintext


def revoke_key(*, session: Session, key: ApiKey, by: Principal) -> None:
    before = _public(key)
    repository.revoke(session=session, key=key, at=utcnow())
    audit.service.record(
        session=session,
        by=by,
        action="api_key.revoke",
        entity_type="api_key",
        entity_id=key.id,
        before=before,
        after=_public(key),
    )


def revoke_provider_keys(*, session: Session, provider_id: str, by: Principal) -> int:
    """Revoke every active key bound to ``provider_id``; return how many."""
    keys = repository.active_for_provider(session=session, provider_id=provider_id)
    for key in keys:
        revoke_key(session=session, key=key, by=by)
    return len(keys)


def authenticate(*, session: Session, key: str) -> Principal | None:
    """The principal of an active key, or None for a wrong, malformed or revoked one."""
    return check_key(connection=session.connection(), key=key)


def check_key(*, connection: Connection, key: str) -> Principal | None:
    """``authenticate`` on a connection: every request's key, looked up afresh (a revoked key
    stops at once)."""
    if len(key) > MAX_KEY_LENGTH or not _KEY_SHAPE.match(key):
        return None
    digest = hash_key(key)
    row = repository.active_credentials(connection=connection, key_hash=digest)
    if row is None:
        return None
    key_id, name, role_name, provider_id, key_hash = row
    if not hmac.compare_digest(key_hash, digest):
        return None
    try:
        role = Role(role_name)
    except ValueError:
        return None
    return Principal(name=name, role=role, key_id=key_id, provider_id=provider_id)


def _public(key: ApiKey) -> dict[str, object]:
    # What the audit log may say about a key: never the hash.
    return {
        "name": key.name,
        "role": key.role,
        "provider_id": key.provider_id,
        "prefix": key.prefix,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }
