"""Recording a write: the audit event and the directory version, in the write's transaction.

Every service function that changes the directory calls ``record_change`` once per object it
changed. The audit event is appended at once; the version is bumped once per transaction, just
before it commits, so the ``directory_state`` row (which every writer updates) is locked only for
the instant before commit and never while a writer waits for another lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from services.common import audit
from services.common.auth.schemas import Principal

from .snapshot import repository as snapshot_repository

_PENDING = "pathways.directory.version_bump_pending"


def _bump_before_commit(session: OrmSession) -> None:
    if session.info.pop(_PENDING, False):
        assert isinstance(session, Session)
        snapshot_repository.bump(session=session)


def _forget(session: OrmSession, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


def mark_changed(*, session: Session) -> None:
    """The directory changes in this transaction: bump its version when it commits."""
    if not event.contains(session, "before_commit", _bump_before_commit):
        event.listen(session, "before_commit", _bump_before_commit)
        event.listen(session, "after_rollback", _forget)
    session.info[_PENDING] = True


def record_change(
    *,
    session: Session,
    by: Principal,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> bool:
    """Audit one change and mark the directory changed; False if nothing actually changed."""
    recorded = audit.service.record(
        session=session,
        by=by,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    if recorded is None:
        return False
    mark_changed(session=session)
    return True
