"""Every query on referrals, assessments, the timeline and idempotency keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Table, Text, and_, bindparam, cast, func, update
from sqlalchemy.dialects import postgresql, sqlite
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


_KEYS: Table = IdempotencyKey.__table__  # type: ignore[attr-defined]

# Built once: these run on every POST with a key, and building a statement (and its cache key)
# costs more than running it.
_CLAIM = {
    name: dialect.insert(_KEYS)
    .values(
        principal=bindparam("principal"),
        key=bindparam("key"),
        request_hash=bindparam("request_hash"),
        status="in_progress",
        claimed_at=bindparam("claimed_at"),
    )
    .on_conflict_do_nothing()
    .returning(_KEYS.c.key)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_WHERE_KEY = and_(_KEYS.c.principal == bindparam("b_principal"), _KEYS.c.key == bindparam("b_key"))
_FINISH = {
    # The answer arrives as JSON text, bound as it is: decoding it only for the column type to
    # encode it again would be the costliest part of the statement. PostgreSQL wants the cast
    # to json; SQLite stores JSON as text (a cast there would mean its NUMERIC affinity).
    name: update(_KEYS)
    .where(_WHERE_KEY)
    .values(
        status="done",
        referral_id=bindparam("referral_id"),
        response_status=bindparam("response_status"),
        response=response,
    )
    for name, response in (
        ("postgresql", cast(bindparam("response", type_=Text), JSON)),
        ("sqlite", bindparam("response", type_=Text)),
    )
}


def insert_claim(
    *, session: Session, principal: str, key: str, request_hash: str, now: dt.datetime
) -> bool:
    """Claim ``key`` for a request now running: True if this request made the claim, False if
    the key was there already (``INSERT … ON CONFLICT DO NOTHING``: one statement, no error to
    recover from). Core, not the ORM: the claim is one row, written and never read back."""
    connection = session.connection()
    statement = _CLAIM[connection.dialect.name]
    parameters = {"principal": principal, "key": key, "request_hash": request_hash}
    return connection.execute(statement, {**parameters, "claimed_at": now}).first() is not None


def finish_claim(
    *,
    session: Session,
    principal: str,
    key: str,
    referral_id: str,
    status: int,
    response_json: str,
) -> None:
    """Store the finished request's answer (``response_json``: a JSON object, as text) on its
    claim, for retries to replay."""
    connection = session.connection()
    connection.execute(
        _FINISH[connection.dialect.name],
        {
            "b_principal": principal,
            "b_key": key,
            "referral_id": referral_id,
            "response_status": status,
            "response": response_json,
        },
    )


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
