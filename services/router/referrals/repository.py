"""Every query on referrals, assessments, the timeline and idempotency keys."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from typing import Literal

from sqlalchemy import Table, func, update
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from services.common.db import Rows, driver_execute, insert_rows

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
    on every POST with a key, and compiling a statement costs more than running it. On
    PostgreSQL the insert runs only if the claim's advisory lock was free (``insert_claim``),
    and the statement answers (lock taken, row inserted)."""
    quote, marker = dialect.identifier_preparer, _marker(dialect)
    c = _KEYS.c
    table = quote.format_table(_KEYS)
    names = ", ".join(
        quote.format_column(col)
        for col in (c.principal, c.key, c.request_hash, c.status, c.claimed_at)
    )
    if dialect.name != "postgresql":
        return (
            f"INSERT INTO {table} ({names}) "
            f"VALUES ({marker}, {marker}, {marker}, 'in_progress', {marker}) "
            f"ON CONFLICT DO NOTHING RETURNING {quote.format_column(c.key)}"
        )
    # regclass, so the lock's first half is the keys table as the search path finds it.
    return (
        "WITH lock AS (SELECT pg_try_advisory_xact_lock("
        f"CAST(CAST(CAST('{table}' AS regclass) AS oid) AS integer), CAST(%s AS integer)) "
        "AS taken), "
        f"claim AS (INSERT INTO {table} ({names}) "
        "SELECT CAST(%s AS text), CAST(%s AS text), CAST(%s AS text), 'in_progress', "
        "CAST(%s AS timestamptz) FROM lock WHERE lock.taken "
        f"ON CONFLICT DO NOTHING RETURNING {quote.format_column(c.key)}) "
        "SELECT lock.taken, EXISTS (SELECT FROM claim) FROM lock"
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


ClaimOutcome = Literal["claimed", "taken", "busy"]
"""``insert_claim``'s answer: this request claimed the key; the key was claimed already (a row
is there to read); or, on PostgreSQL, another transaction is claiming it right now."""


def insert_claim(
    *, session: Session, principal: str, key: str, request_hash: str, now: dt.datetime
) -> ClaimOutcome:
    """Claim ``key`` for a request now running, in ``session``'s transaction: ``claimed`` if
    this request made the claim, ``taken`` if the key was there already (``INSERT … ON
    CONFLICT DO NOTHING``: one statement, no error to recover from), ``busy`` if another
    request holds it uncommitted (PostgreSQL). Driver SQL, not the ORM: the claim is one row,
    written and never read back.

    The claim is committed with the request's work, not before it. On SQLite the write
    transaction keeps every other writer out until then. On PostgreSQL a concurrent duplicate's
    ``INSERT`` would wait on the uncommitted row; instead each claim first tries a
    transaction-level advisory lock on the key (``_claim_lock``), in the same statement, and a
    duplicate that cannot have it is ``busy`` at once (409, as the Idempotency-Key draft asks).
    The lock is let go when the transaction ends, committed or rolled back, so a request that
    fails or whose connection dies leaves no claim behind."""
    connection = session.connection()
    dialect = connection.dialect
    claimed_at = _KEYS.c.claimed_at.type._cached_bind_processor(dialect)
    at = claimed_at(now) if claimed_at is not None else now
    row = (principal, key, request_hash, at)
    if dialect.name != "postgresql":
        found = driver_execute(connection, _claim_sql(dialect), row).fetchone()
        return "claimed" if found is not None else "taken"
    locked, claimed = driver_execute(
        connection, _claim_sql(dialect), (_claim_lock(principal, key), *row)
    ).one()
    if not locked:
        return "busy"
    return "claimed" if claimed else "taken"


def _claim_lock(principal: str, key: str) -> int:
    """The advisory lock of a claim: 32 bits of a hash of the principal and the key, beside the
    keys table's own oid (``_claim_sql``), so that no other use of advisory locks in the same
    database, nor another schema's router, shares it. Two keys sharing a lock would at worst
    answer one of two simultaneous first requests 409 (retry shortly)."""
    digest = hashlib.blake2b(f"{principal}\n{key}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def finish_claim(
    *,
    session: Session,
    principal: str,
    key: str,
    referral_id: str,
    status: int,
    response_json: str,
    rows: Rows,
) -> None:
    """Write the request's ``rows`` and store its answer (``response_json``: a JSON object, as
    text) on its claim, for retries to replay: on PostgreSQL in one statement."""
    connection = session.connection()
    insert_rows(
        session,
        rows,
        also=(
            _finish_sql(connection.dialect),
            (referral_id, status, response_json, principal, key),
        ),
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
