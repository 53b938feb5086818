"""Recording and reading the audit log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from ..auth.schemas import Principal, Role
from ..db import utcnow
from ..pagination import Page, decode_cursor, page_of
from . import repository
from .models import AuditEvent
from .schemas import AuditActor, AuditEventPublic

LISTING = "audit"


def changed_fields(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose values differ, as (before, after)."""
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    *,
    session: Session,
    by: Principal,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AuditEvent | None:
    """Append one event. For an update, only the fields that changed are kept; an update that
    changes nothing records nothing (and returns None).

    ``before``/``after`` must already be safe to show an admin: no secrets in them.
    """
    if before is not None and after is not None:
        old, new = changed_fields(before, after)
        if not old and not new:
            return None
        before, after = old, new
    return repository.add(
        session=session,
        event=AuditEvent(
            occurred_at=utcnow(),
            actor_name=by.name,
            actor_role=by.role.value,
            actor_key_id=by.key_id,
            actor_provider_id=by.provider_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            before=dict(before) if before is not None else None,
            after=dict(after) if after is not None else None,
        ),
    )


def new_row(
    *,
    by: Principal,
    action: str,
    entity_type: str,
    entity_id: str,
    after: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """One new event (a creation or a read: nothing to compare) as a plain ``audit_log`` row,
    for a caller that writes its rows with ``db.insert_rows`` rather than through the session.
    The same row ``record`` would add."""
    return {
        "occurred_at": utcnow(),
        "actor_name": by.name,
        "actor_role": by.role.value,
        "actor_key_id": by.key_id,
        "actor_provider_id": by.provider_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": None,
        "after": dict(after) if after is not None else None,
    }


def to_public(event: AuditEvent) -> AuditEventPublic:
    assert event.id is not None
    return AuditEventPublic(
        id=event.id,
        occurred_at=event.occurred_at,
        actor=AuditActor(
            name=event.actor_name,
            role=Role(event.actor_role),
            key_id=event.actor_key_id,
            provider_id=event.actor_provider_id,
        ),
        action=event.action,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        before=event.before,
        after=event.after,
    )


def _event_id(event: AuditEvent) -> int:
    assert event.id is not None
    return event.id


def list_events(
    *,
    session: Session,
    cursor: str | None,
    limit: int,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
) -> Page[AuditEventPublic]:
    after = decode_cursor(LISTING, cursor)
    rows = repository.page(
        session=session,
        after_id=after if isinstance(after, int) else None,
        limit=limit + 1,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
    )
    return page_of(rows, limit=limit, listing=LISTING, key=_event_id, to_public=to_public)
