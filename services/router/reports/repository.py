"""Every query of the reports: plain columns grouped in SQL, JSON columns read in batches.

The victim and incident are JSON columns, and SQLite and PostgreSQL read JSON with different
functions (``json_extract`` against ``->>``); rather than a query per dialect, referrals are
read in batches of ``BATCH`` (keyset on the id, only the columns the report uses), each batch's
handovers by their referral ids, and the figures aggregated in Python. A county's year is some
ten thousand referrals: twenty batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, func
from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from ..handovers.models import Handover
from ..referrals.models import Referral
from ..reviews.models import Review
from ..reviews.repository import due_condition

BATCH = 500
"""Under SQLite's oldest limit of 999 bound values, for the ids of a batch in one ``IN``."""


def _received(start: dt.date, end: dt.date) -> Any:
    return col(Referral.received_on).between(start, end)


def _all(session: Session, query: Executable) -> list[Any]:
    """Core rows (the ORM's ``session.exec`` types a select of at most four columns)."""
    return list(session.connection().execute(query).all())


def count_by(*, session: Session, column: str, start: dt.date, end: dt.date) -> dict[str, int]:
    """Referrals received from ``start`` to ``end`` (inclusive) by a plain column's value."""
    grouped = col(getattr(Referral, column))
    query = (
        select(grouped, func.count())
        .where(_received(start, end))
        .group_by(grouped)
        .order_by(grouped)
    )
    return {str(value): int(n) for value, n in session.exec(query)}


@dataclass(frozen=True, slots=True)
class ReferralRow:
    """What the report reads of a referral: of its JSON, only the keys it counts by (the
    rest, personal or bulky, is dropped as each batch is read)."""

    id: str
    source_kind: str
    victim: dict[str, Any]
    """``age``, ``sex`` and ``area`` only."""
    incident: dict[str, Any]
    """``kind`` and ``reported_to_police`` only."""
    unmet: list[dict[str, Any]]
    """``{"need": code}`` only, not the reasons."""
    refer_by: dt.date
    first_update_by: dt.date


VICTIM_KEYS = ("age", "sex", "area")
INCIDENT_KEYS = ("kind", "reported_to_police")


def _referral(row: Any) -> ReferralRow:
    rid, source_kind, victim, incident, unmet, refer_by, first_update_by = row
    return ReferralRow(
        id=rid,
        source_kind=source_kind,
        victim={k: victim[k] for k in VICTIM_KEYS if k in victim},
        incident={k: incident[k] for k in INCIDENT_KEYS if k in incident},
        unmet=[{"need": u.get("need")} for u in unmet],
        refer_by=refer_by,
        first_update_by=first_update_by,
    )


def referral_batches(
    *, session: Session, start: dt.date, end: dt.date, batch: int = BATCH
) -> Iterator[list[ReferralRow]]:
    """The referrals received from ``start`` to ``end``, ``batch`` rows per query (keyset on
    the id)."""
    after: str | None = None
    while True:
        query = columns(
            col(Referral.id),
            col(Referral.source_kind),
            col(Referral.victim),
            col(Referral.incident),
            col(Referral.unmet),
            col(Referral.refer_by),
            col(Referral.first_update_by),
        ).where(_received(start, end))
        if after is not None:
            query = query.where(col(Referral.id) > after)
        rows = [
            _referral(row) for row in _all(session, query.order_by(col(Referral.id)).limit(batch))
        ]
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = rows[-1].id


@dataclass(frozen=True, slots=True)
class HandoverRow:
    referral_id: str
    referral_created_at: dt.datetime
    service_id: str
    service_name: str
    status: str
    reason: str | None
    outcomes: dict[str, str] | None
    satisfaction: int | None
    requested_at: dt.datetime | None
    accepted_at: dt.datetime | None
    contacted_at: dt.datetime | None


def handovers_of(*, session: Session, referral_ids: Sequence[str]) -> list[HandoverRow]:
    """Every handover of these referrals (one batch of them: the index on ``referral_id``
    finds them), without the explanation: the largest column, and the report does not need
    it."""
    if not referral_ids:
        return []
    query = (
        columns(
            col(Handover.referral_id),
            col(Referral.created_at),
            col(Handover.service_id),
            col(Handover.service_name),
            col(Handover.status),
            col(Handover.reason),
            col(Handover.outcomes),
            col(Handover.satisfaction),
            col(Handover.requested_at),
            col(Handover.accepted_at),
            col(Handover.contacted_at),
        )
        .join(Referral, col(Referral.id) == col(Handover.referral_id))
        .where(col(Handover.referral_id).in_(referral_ids))
        .order_by(col(Handover.referral_id), col(Handover.seq))
    )
    return [HandoverRow(*row) for row in _all(session, query)]


def first_times(
    *, session: Session, referral_ids: Sequence[str]
) -> dict[str, tuple[dt.datetime | None, dt.datetime | None]]:
    """Per referral with handovers: its first request and its first contact (None when none
    happened yet)."""
    if not referral_ids:
        return {}
    query = (
        select(
            Handover.referral_id,
            func.min(col(Handover.requested_at)),
            func.min(col(Handover.contacted_at)),
        )
        .where(col(Handover.referral_id).in_(referral_ids))
        .group_by(col(Handover.referral_id))
    )
    return {str(r): (requested, contacted) for r, requested, contacted in session.exec(query)}


@dataclass(frozen=True, slots=True)
class ReviewCount:
    outcome: str
    risk_level: str
    late: bool
    count: int


def reviews_done(*, session: Session, start: dt.date, end: dt.date) -> list[ReviewCount]:
    """Reviews done from ``start`` to ``end`` (the day done, inclusive), counted by outcome,
    risk level and lateness (the index on ``done_on`` finds them)."""
    query = (
        columns(col(Review.outcome), col(Review.risk_level), col(Review.late), func.count())
        .where(col(Review.done_on).between(start, end))
        .group_by(col(Review.outcome), col(Review.risk_level), col(Review.late))
    )
    return [ReviewCount(o, r, bool(late), int(n)) for o, r, late, n in _all(session, query)]


def reviews_due_by_risk(
    *, session: Session, on_or_before: dt.date, first_cutoffs: dict[str, dt.date]
) -> dict[str, int]:
    """Open referrals whose review is due on or before ``on_or_before``, by risk level
    (``reviews.repository.due_condition``)."""
    query = (
        select(col(Referral.risk_level), func.count())
        .where(due_condition(on_or_before=on_or_before, first_cutoffs=first_cutoffs))
        .group_by(col(Referral.risk_level))
    )
    return {str(level): int(n) for level, n in session.exec(query)}
