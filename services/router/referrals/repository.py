"""Every query on referrals, assessments, the timeline and idempotency keys."""

from __future__ import annotations

import datetime as dt
import functools

from sqlalchemy import Table, func, update
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from services.common.db import driver_execute

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


@functools.cache
def _claim_sql(dialect: Dialect) -> str:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING key`` as driver SQL, rendered once: these run
    on every POST with a key, and compiling a statement costs more than running it."""
    quote, marker = dialect.identifier_preparer, _marker(dialect)
    c = _KEYS.c
    names = ", ".join(
        quote.format_column(col)
        for col in (c.principal, c.key, c.request_hash, c.status, c.claimed_at)
    )
    return (
        f"INSERT INTO {quote.format_table(_KEYS)} ({names}) "
        f"VALUES ({marker}, {marker}, {marker}, 'in_progress', {marker}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote.format_column(c.key)}"
    )


@functools.cache
def _finish_sql(dialect: Dialect) -> str:
    """The answer arrives as JSON text, bound as it is: decoding it only for the column type to
    encode it again would be the costliest part of the statement. PostgreSQL wants the cast to
    json; SQLite stores JSON as text (a cast there would mean its NUMERIC affinity)."""
    quote, marker = dialect.identifier_preparer, _marker(dialect)
    c = _KEYS.c
    response = f"CAST({marker} AS json)" if dialect.name == "postgresql" else marker
    return (
        f"UPDATE {quote.format_table(_KEYS)} SET {quote.format_column(c.status)} = 'done', "
        f"{quote.format_column(c.referral_id)} = {marker}, "
        f"{quote.format_column(c.response_status)} = {marker}, "
        f"{quote.format_column(c.response)} = {response} "
        f"WHERE {quote.format_column(c.principal)} = {marker} "
        f"AND {quote.format_column(c.key)} = {marker}"
    )


def _marker(dialect: Dialect) -> str:
    return "?" if dialect.paramstyle == "qmark" else "%s"


def insert_claim(
    *, session: Session, principal: str, key: str, request_hash: str, now: dt.datetime
) -> bool:
    """Claim ``key`` for a request now running: True if this request made the claim, False if
    the key was there already (``INSERT … ON CONFLICT DO NOTHING``: one statement, no error to
    recover from). Driver SQL, not the ORM: the claim is one row, written and never read back."""
    connection = session.connection()
    dialect = connection.dialect
    claimed_at = _KEYS.c.claimed_at.type._cached_bind_processor(dialect)
    at = claimed_at(now) if claimed_at is not None else now
    cursor = driver_execute(connection, _claim_sql(dialect), (principal, key, request_hash, at))
    return cursor.fetchone() is not None


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
    driver_execute(
        connection,
        _finish_sql(connection.dialect),
        (referral_id, status, response_json, principal, key),
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
