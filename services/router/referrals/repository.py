"""Every query on referrals, assessments, the timeline and idempotency keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from ..handovers.models import Handover
from .models import Assessment, IdempotencyKey, Referral, TimelineEvent


def get(*, session: Session, referral_id: str, for_update: bool = False) -> Referral | None:
    query = select(Referral).where(Referral.id == referral_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def page(
    *, session: Session, referrer: str | None, after: str | None, limit: int
) -> list[Referral]:
    """Newest first would need a timestamp cursor; ids are random, so page by id."""
    query = select(Referral)
    if referrer is not None:
        query = query.where(Referral.referrer == referrer)
    if after is not None:
        query = query.where(col(Referral.id) > after)
    return list(session.exec(query.order_by(col(Referral.id)).limit(limit + 1)))


def handovers(*, session: Session, referral_id: str) -> list[Handover]:
    query = select(Handover).where(Handover.referral_id == referral_id).order_by(col(Handover.seq))
    return list(session.exec(query))


def latest_assessment(*, session: Session, referral_id: str) -> Assessment:
    query = (
        select(Assessment)
        .where(Assessment.referral_id == referral_id)
        .order_by(col(Assessment.seq).desc())
        .limit(1)
    )
    found = session.exec(query).first()
    if found is None:  # pragma: no cover - a referral is stored with its first assessment
        raise LookupError(f"referral {referral_id} has no assessment")
    return found


def next_assessment_seq(*, session: Session, referral_id: str) -> int:
    query = select(func.max(Assessment.seq)).where(Assessment.referral_id == referral_id)
    current = session.exec(query).one()
    return int(current or 0) + 1


def timeline(*, session: Session, referral_id: str) -> list[TimelineEvent]:
    query = (
        select(TimelineEvent)
        .where(TimelineEvent.referral_id == referral_id)
        .order_by(col(TimelineEvent.id))
    )
    return list(session.exec(query))


def idempotency(*, session: Session, principal: str, key: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, (principal, key))


def stale_claim(*, row: IdempotencyKey, now: dt.datetime, lease: dt.timedelta) -> bool:
    return row.status == "in_progress" and now - row.claimed_at > lease


def take_over_claim(*, session: Session, row: IdempotencyKey, now: dt.datetime) -> bool:
    """Renew ``row``'s claim for this request, only if nobody renewed or finished it since it
    was read (a conditional UPDATE: of concurrent takeovers one wins, the others see 0 rows)."""
    result = session.execute(
        update(IdempotencyKey)
        .where(
            col(IdempotencyKey.principal) == row.principal,
            col(IdempotencyKey.key) == row.key,
            col(IdempotencyKey.status) == "in_progress",
            col(IdempotencyKey.claimed_at) == row.claimed_at,
        )
        .values(claimed_at=now)
    )
    assert isinstance(result, CursorResult)
    won = result.rowcount == 1
    if won:
        set_committed_value(row, "claimed_at", now)
    return won
