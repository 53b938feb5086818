"""Referrals of each risk level, and moving a referral back in time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from graph.plan import local_date
from services.common.audit.models import AuditEvent
from services.common.db import utcnow, writer
from services.router.referrals.models import Referral
from tests.router.api.helpers import Api

DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return local_date(utcnow())


def refer(api: Api, risk: str = "high", who: str = "referrer") -> dict[str, Any]:
    """High: API.md's example (DASH 16, domestic abuse; the IDVA leads). Medium (DASH 12) and
    standard (DASH 4): a man needing emotional support (Victim Support enhanced leads)."""
    if risk == "high":
        return api.refer(who)
    return api.refer(
        who,
        victim={"sex": "male"},
        assessment={
            "dash_score": {"medium": 12, "standard": 4}[risk],
            "flags": [],
            "incidents_last_12_months": 0,
            "needs": {"emotional_support": 2},
        },
    )


def received(engine: Engine, referral_id: str, days_ago: int) -> None:
    with Session(writer(engine)) as session:
        session.execute(
            update(Referral)
            .where(col(Referral.id) == referral_id)
            .values(received_on=today() - days_ago * DAY)
        )
        session.commit()


def set_columns(engine: Engine, referral_id: str, **values: Any) -> None:
    with Session(writer(engine)) as session:
        session.execute(update(Referral).where(col(Referral.id) == referral_id).values(**values))
        session.commit()


def audit_rows(engine: Engine, action: str, entity_id: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(
                    col(AuditEvent.action) == action, col(AuditEvent.entity_id) == entity_id
                )
            )
        )


def due(api: Api, who: str, by: dt.date | None = None, **params: Any) -> list[dict[str, Any]]:
    if by is not None:
        params["by"] = by.isoformat()
    response = api.get("/reviews/due", who, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def timeline(api: Api, referral_id: str) -> list[str]:
    got = api.get(f"/referrals/{referral_id}/timeline", "referrer")
    assert got.status_code == 200, got.text
    return [e["text"] for e in got.json()["events"]]
