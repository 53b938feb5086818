"""Queries for the snapshot: the state row, and everything the snapshot is built from."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from services.common.db import utcnow

from ..pathways.models import Pathway
from ..providers.models import Provider
from ..services.models import Service
from .models import STATE_ROW, DirectoryState


def state(*, session: Session) -> DirectoryState:
    row = session.get(DirectoryState, STATE_ROW, populate_existing=True)
    if row is None:  # pragma: no cover - the first migration inserts it
        raise RuntimeError("directory_state has no row: the database was not built by migrations")
    return row


def bump(*, session: Session) -> None:
    session.execute(
        update(DirectoryState)
        .where(col(DirectoryState.id) == STATE_ROW)
        .values(version=DirectoryState.version + 1, token=uuid.uuid4().hex, changed_at=utcnow())
    )


def everything(
    *, session: Session
) -> tuple[Sequence[Provider], Sequence[Service], Sequence[Pathway]]:
    providers = session.exec(select(Provider).order_by(col(Provider.id))).all()
    services = session.exec(select(Service).order_by(col(Service.id))).all()
    pathways = session.exec(select(Pathway).order_by(col(Pathway.id))).all()
    return providers, services, pathways
