"""Every query on reviews, and on referrals by when their review is due.

A referral's review is due on ``next_review_on`` when one is set, else (its first review) on
``received_on`` plus its risk level's interval. SQLite and PostgreSQL add days to dates in
different ways, so no query does: a caller asking "due on or before D" passes, per risk level,
the last ``received_on`` whose first review falls on or before D (``first_cutoffs``), worked
out in Python. The same trick orders the due list by due date: the list is four streams, each
in the order of one indexed column (``next_review_on``, or ``received_on`` within one risk
level), merged in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_
from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from ..flows import OPEN
from ..handovers.models import Handover
from ..referrals.models import Assessment, Referral
from .models import Review

OPEN_REFERRAL = "open"


@dataclass(frozen=True, slots=True)
class Visibility:
    """Whose due list: a referrer's own referrals, a provider's cases as lead, or all."""

    referrer: str | None = None
    provider: str | None = None


@dataclass(frozen=True, slots=True)
class DueRow:
    id: str
    due_on: dt.date
    risk_level: str
    lead_service_id: str | None
    brought_forward: bool


def _visible(visibility: Visibility) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if visibility.referrer is not None:
        where.append(col(Referral.referrer) == visibility.referrer)
    if visibility.provider is not None:
        # The provider leads the case (the acting lead), or holds the planned lead's open
        # handover (it takes the case over at first contact).
        where.append(
            exists().where(
                col(Handover.referral_id) == col(Referral.id),
                col(Handover.provider_id) == visibility.provider,
                col(Handover.status).in_(sorted(OPEN)),
                or_(
                    col(Handover.lead).is_(True),
                    col(Handover.service_id) == col(Referral.lead_service_id),
                ),
            )
        )
    return where


def due_condition(
    *, on_or_before: dt.date, first_cutoffs: Mapping[str, dt.date]
) -> ColumnElement[bool]:
    """Open referrals whose review is due on or before ``on_or_before``; ``first_cutoffs``
    maps each risk level to the last day received whose first review is due by then."""
    first = [
        and_(col(Referral.risk_level) == level, col(Referral.received_on) <= cutoff)
        for level, cutoff in sorted(first_cutoffs.items())
    ]
    return and_(
        col(Referral.status) == OPEN_REFERRAL,
        or_(
            col(Referral.next_review_on) <= on_or_before,
            and_(col(Referral.next_review_on).is_(None), or_(false(), *first)),
        ),
    )


def _all(session: Session, query: Any) -> list[Any]:
    return list(session.connection().execute(query).all())


def due_page(
    *,
    session: Session,
    on_or_before: dt.date,
    intervals: Mapping[str, int],
    visibility: Visibility,
    after: tuple[dt.date, str] | None,
    limit: int,
) -> list[DueRow]:
    """Up to ``limit + 1`` open referrals due on or before ``on_or_before``, by due date then
    id, after the position ``after`` (a due date and an id)."""
    shown = (
        col(Referral.id),
        col(Referral.risk_level),
        col(Referral.lead_service_id),
        col(Referral.review_requested_by),
    )
    found: list[DueRow] = []
    # (ordering column, the days it is before the due date, the risk level it is for)
    streams: list[tuple[Any, int, str | None]] = [(col(Referral.next_review_on), 0, None)]
    streams += [(col(Referral.received_on), days, level) for level, days in intervals.items()]
    for column, days, level in streams:
        query = columns(column, *shown).where(
            col(Referral.status) == OPEN_REFERRAL,
            column <= on_or_before - dt.timedelta(days=days),
            *_visible(visibility),
        )
        if level is None:
            query = query.where(col(Referral.next_review_on).is_not(None))
        else:
            query = query.where(
                col(Referral.next_review_on).is_(None), col(Referral.risk_level) == level
            )
        if after is not None:
            day, rid = after[0] - dt.timedelta(days=days), after[1]
            query = query.where(or_(column > day, and_(column == day, col(Referral.id) > rid)))
        query = query.order_by(column, col(Referral.id)).limit(limit + 1)
        for on, rid, risk, lead, requested in _all(session, query):
            found.append(
                DueRow(
                    id=rid,
                    due_on=on + dt.timedelta(days=days),
                    risk_level=risk,
                    lead_service_id=lead,
                    brought_forward=requested is not None,
                )
            )
    found.sort(key=lambda r: (r.due_on, r.id))
    return found[: limit + 1]


def last_reviewed(*, session: Session, referral_ids: Sequence[str]) -> dict[str, dt.date]:
    if not referral_ids:
        return {}
    query = (
        select(Review.referral_id, func.max(col(Review.done_on)))
        .where(col(Review.referral_id).in_(referral_ids))
        .group_by(col(Review.referral_id))
    )
    return {str(rid): day for rid, day in session.exec(query)}


def reviews_of(*, session: Session, referral_id: str) -> list[Review]:
    query = select(Review).where(Review.referral_id == referral_id).order_by(col(Review.seq))
    return list(session.exec(query))


def next_seq(*, session: Session, referral_id: str) -> int:
    query = select(func.max(Review.seq)).where(Review.referral_id == referral_id)
    return int(session.exec(query).one() or 0) + 1


def for_assessment(*, session: Session, referral_id: str, assessment_seq: int) -> Review | None:
    query = select(Review).where(
        Review.referral_id == referral_id, Review.assessment_seq == assessment_seq
    )
    return session.exec(query).first()


def assessment_risk(*, session: Session, referral_id: str, seq: int) -> str | None:
    """The risk level assessment ``seq`` of the referral gave (None if there is none)."""
    query = select(Assessment.risk_level).where(
        Assessment.referral_id == referral_id, Assessment.seq == seq
    )
    return session.exec(query).first()


def add(*, session: Session, review: Review) -> Review:
    session.add(review)
    session.flush()
    return review
