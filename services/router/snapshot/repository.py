"""Queries on the stored snapshot and the webhook targets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete, select

from .models import StoredSnapshot, WebhookTarget


def load(*, session: Session) -> StoredSnapshot | None:
    return session.get(StoredSnapshot, 1)


def save(
    *, session: Session, version: str, etag: str | None, document: dict[str, Any], at: dt.datetime
) -> None:
    row = session.get(StoredSnapshot, 1)
    if row is None:
        session.add(
            StoredSnapshot(id=1, version=version, etag=etag, document=document, fetched_at=at)
        )
    else:
        row.version, row.etag, row.document, row.fetched_at = version, etag, document, at
        session.add(row)


def replace_targets(*, session: Session, targets: Sequence[WebhookTarget]) -> None:
    keep = [t.service_id for t in targets]
    session.exec(delete(WebhookTarget).where(col(WebhookTarget.service_id).not_in(keep)))
    for target in targets:
        session.merge(target)


def target(*, session: Session, service_id: str) -> WebhookTarget | None:
    return session.get(WebhookTarget, service_id)


def all_targets(*, session: Session) -> list[WebhookTarget]:
    return list(session.exec(select(WebhookTarget).order_by(col(WebhookTarget.service_id))))
