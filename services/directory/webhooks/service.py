"""The webhook targets document and its ETag.

The ETag is derived from the directory's version (every write bumps it, webhook changes
included), so ``If-None-Match`` is answered from the state row alone, without reading a secret.
The state row is read before the services: under PostgreSQL's READ COMMITTED the targets may then
be newer than the version they are tagged with, never older, so a 304 never hides a change.
"""

from __future__ import annotations

from sqlmodel import Session

from ..snapshot import repository as snapshot_repository
from ..snapshot.models import DirectoryState
from . import repository
from .schemas import WebhookTarget, WebhookTargets

FORMAT = "t1"
"""Bump when the document's shape changes, so that old ETags stop matching."""


def etag_of_state(state: DirectoryState) -> str:
    return f'"{FORMAT}-{state.version}-{state.token}"'


def current(*, session: Session) -> tuple[str, int]:
    """The current ETag and directory version."""
    state = snapshot_repository.state(session=session)
    return etag_of_state(state), state.version


def targets(*, session: Session, version: int) -> WebhookTargets:
    """Every service with a webhook, secret included: for the router's ``service`` key and
    admins only (the endpoint enforces it)."""
    rows = repository.with_webhooks(session=session)
    return WebhookTargets(
        version=version,
        targets=[
            WebhookTarget(
                service_id=s.id,
                provider_id=s.provider_id,
                url=s.webhook_url,
                secret=s.webhook_secret,
            )
            for s in rows
            if s.webhook_url is not None and s.webhook_secret is not None
        ],
    )
