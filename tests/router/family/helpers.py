"""Family members, and reading what a link left behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from services.router.referrals.models import Referral, TimelineEvent

IDVA = "idva-cambridgeshire"
YOUNG = "young-victims-service"
YOUNG_PROVIDER = "young-victims-service"
"""The provider id of the young victims service in graph/data/cambridgeshire-peterborough.json."""
HOMICIDE = "homicide-service"


def child(age: int, **extra: Any) -> dict[str, Any]:
    """A child in the household, with a parent's consent to share."""
    return {
        "relationship": "child",
        "age": age,
        "sex": None,
        "role": "indirect",
        "consent_to_share": True,
        **extra,
    }


def services(created: dict[str, Any]) -> list[str]:
    return [h["service_id"] for h in created["handovers"]]


def referrer_of(engine: Engine, referral_id: str) -> str:
    with Session(engine) as session:
        row = session.get(Referral, referral_id)
        assert row is not None
        return row.referrer


def timeline(engine: Engine, referral_id: str, kind: str) -> list[TimelineEvent]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(TimelineEvent).where(
                    TimelineEvent.referral_id == referral_id, TimelineEvent.kind == kind
                )
            ).all()
        )
