"""Scheduled reviews (keyword-only, typed).

Every open referral has a next review: 14 days at high risk, 21 at medium, 28 at standard,
from the referral's arrival for the first and from the last review after that; sooner when a
party on the case asks (``request_review``). A review is a ``no_change`` confirmation or a
reassessment (``referrals.service.reassess_referral``, whose warm-handover diff applies); a
reassessment made through ``POST /referrals/{id}/assessments`` counts as a review too
(``record_reassessment``). Days are days in England (``graph.plan.local_date``).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from graph.plan import local_date
from services.common.audit import service as audit
from services.common.auth.schemas import Principal, Role
from services.common.db import utcnow
from services.common.errors import UnprocessableContentError
from services.common.pagination import Page, decode_cursor, encode_cursor

from ..errors import ReferralClosedError
from ..flows import note
from ..referrals import repository as referrals
from ..referrals import service as referral_service
from ..referrals.models import Referral
from ..referrals.schemas import DiffPublic
from ..snapshot.service import DirectoryView
from . import repository
from .models import Review
from .repository import DueRow, Visibility
from .schemas import (
    ReassessedReviewIn,
    ReviewDone,
    ReviewDue,
    ReviewHistory,
    ReviewIn,
    ReviewOutcome,
    ReviewPublic,
    ReviewRequestIn,
    ReviewSchedule,
)

LISTING = "reviews_due"

REVIEW_DAYS: dict[str, int] = {"high": 14, "medium": 21, "standard": 28}
"""Days from the last review (or the referral's arrival) to the next, by risk level."""


# --------------------------------------------------------------------------- rules


def interval(risk_level: str) -> dt.timedelta:
    return dt.timedelta(days=REVIEW_DAYS[risk_level])


def due_on(referral: Referral, *, risk_level: str | None = None) -> dt.date:
    """When ``referral``'s next review is due (its first: at its risk level's interval from
    arrival, or ``risk_level``'s when given).

    >>> r = Referral(received_on=dt.date(2026, 11, 2), risk_level="medium")
    >>> due_on(r), due_on(r, risk_level="high")
    (datetime.date(2026, 11, 23), datetime.date(2026, 11, 16))
    """
    if referral.next_review_on is not None:
        return referral.next_review_on
    return referral.received_on + interval(risk_level or referral.risk_level)


def first_cutoffs(day: dt.date) -> dict[str, dt.date]:
    """Per risk level, the last day received whose first review is due on or before ``day``."""
    return {level: day - dt.timedelta(days=days) for level, days in REVIEW_DAYS.items()}


# --------------------------------------------------------------------------- reading


def _cursor_key(row: DueRow) -> str:
    return f"{row.due_on.isoformat()}:{row.id}"


def _decode(cursor: str | None) -> tuple[dt.date, str] | None:
    if cursor is None:
        return None
    after = decode_cursor(LISTING, cursor)
    try:
        day, rid = str(after).split(":", 1)
        return dt.date.fromisoformat(day), rid
    except ValueError:
        raise UnprocessableContentError.at(
            ["query", "cursor"], "is not a cursor this listing gave out", type="cursor_invalid"
        ) from None


def due(
    *,
    session: Session,
    by: Principal,
    on_or_before: dt.date | None,
    cursor: str | None,
    limit: int,
    now: dt.datetime | None = None,
) -> Page[ReviewDue]:
    """Open referrals due for review on or before ``on_or_before`` (default today), soonest
    first: a referrer's own, a provider's as (acting or planned) lead, or all for an admin."""
    today = local_date(now or utcnow())
    day = on_or_before or today
    if by.role is Role.ADMIN:
        visibility = Visibility()
    elif by.role is Role.PROVIDER:
        assert by.provider_id is not None
        visibility = Visibility(provider=by.provider_id)
    else:
        visibility = Visibility(referrer=by.name)
    rows = repository.due_page(
        session=session,
        on_or_before=day,
        intervals=REVIEW_DAYS,
        visibility=visibility,
        after=_decode(cursor),
        limit=limit,
    )
    shown = rows[:limit]
    last = repository.last_reviewed(session=session, referral_ids=[r.id for r in shown])
    page: Page[ReviewDue] = Page(
        items=[
            ReviewDue(
                referral_id=r.id,
                due_on=r.due_on,
                overdue=r.due_on < today,
                brought_forward=r.brought_forward,
                risk_level=r.risk_level,
                lead=r.lead_service_id,
                last_reviewed_on=last.get(r.id),
            )
            for r in shown
        ],
        next_cursor=encode_cursor(LISTING, _cursor_key(shown[-1]))
        if len(rows) > limit and shown
        else None,
    )
    # As in GET /referrals: the risk level of a case is the victim's personal data.
    for item in page.items:
        audit.record(
            session=session,
            by=by,
            action="read_summary",
            entity_type="referral",
            entity_id=item.referral_id,
            before=None,
            after={"via": "reviews_due"},
        )
    return page


def to_public(review: Review) -> ReviewPublic:
    assert review.id is not None
    return ReviewPublic(
        id=review.id,
        referral_id=review.referral_id,
        seq=review.seq,
        outcome=ReviewOutcome(review.outcome),
        due_on=review.due_on,
        done_on=review.done_on,
        done_at=review.done_at,
        late=review.late,
        risk_level=review.risk_level,
        assessment_seq=review.assessment_seq,
        next_review_on=review.next_review_on,
        by=review.by_name,
        note=review.note,
    )


def history(*, session: Session, referral_id: str, by: Principal) -> ReviewHistory:
    """The referral's reviews, oldest first: for those who may review it (notes may hold
    personal data)."""
    referral = referral_service.may_act_on(
        session=session, referral=referrals.get(session=session, referral_id=referral_id), by=by
    )
    audit.record(
        session=session,
        by=by,
        action="read_reviews",
        entity_type="referral",
        entity_id=referral.id,
        before=None,
        after=None,
    )
    return ReviewHistory(
        referral_id=referral.id,
        next_review_on=due_on(referral) if referral.status == "open" else None,
        reviews=[
            to_public(r) for r in repository.reviews_of(session=session, referral_id=referral.id)
        ],
    )


# --------------------------------------------------------------------------- reviewing


def _record(
    *,
    session: Session,
    referral: Referral,
    by: Principal,
    now: dt.datetime,
    outcome: ReviewOutcome,
    was_due: dt.date,
    assessment_seq: int | None = None,
    note_text: str | None = None,
) -> Review:
    """The review row; the next review scheduled from today at the current risk level; a
    timeline note and an audit event. Never commits."""
    today = local_date(now)
    before = {
        "next_review_on": was_due.isoformat(),
        "review_requested_by": referral.review_requested_by,
    }
    review = repository.add(
        session=session,
        review=Review(
            referral_id=referral.id,
            seq=repository.next_seq(session=session, referral_id=referral.id),
            outcome=outcome.value,
            due_on=was_due,
            done_on=today,
            done_at=now,
            late=today > was_due,
            risk_level=referral.risk_level,
            assessment_seq=assessment_seq,
            next_review_on=today + interval(referral.risk_level),
            by_name=by.name,
            by_role=by.role.value,
            note=note_text,
        ),
    )
    referral.next_review_on = review.next_review_on
    referral.review_requested_by = None
    referral.review_reason = None
    referral.updated_at = now
    session.add(referral)
    what = (
        "no change to the victim's needs or risk"
        if outcome is ReviewOutcome.NO_CHANGE
        else f"the victim's needs were reassessed (risk level: {referral.risk_level})"
    )
    days = (today - was_due).days
    late = f", {days} day{'' if days == 1 else 's'} late" if review.late else ""
    note(
        session=session,
        referral=referral,
        kind="review.done",
        text=f"Review by {by.name}{late}: {what}. "
        f"The next review is due by {review.next_review_on:%d %B %Y}.",
        now=now,
        actor=by.name,
    )
    audit.record(
        session=session,
        by=by,
        action="review",
        entity_type="referral",
        entity_id=referral.id,
        before=before,
        after={
            "review": review.seq,
            "outcome": outcome.value,
            "due_on": was_due.isoformat(),
            "late": review.late,
            "risk_level": referral.risk_level,
            "assessment": assessment_seq,
            "next_review_on": review.next_review_on.isoformat(),
            "review_requested_by": None,
        },
    )
    return review


def record_reassessment(
    *, session: Session, referral: Referral, by: Principal, now: dt.datetime
) -> Review:
    """Count the reassessment just made of ``referral`` (its latest assessment) as a review:
    the row, the next review rescheduled, a timeline note, an audit event. Called by
    ``reassess_referral`` after it has updated the referral; recording the same assessment
    twice returns the first review."""
    seq = referral.assessment_count
    found = repository.for_assessment(session=session, referral_id=referral.id, assessment_seq=seq)
    if found is not None:
        return found
    # The review was due by the risk level before this reassessment changed it.
    previous = repository.assessment_risk(session=session, referral_id=referral.id, seq=seq - 1)
    return _record(
        session=session,
        referral=referral,
        by=by,
        now=now,
        outcome=ReviewOutcome.REASSESSED,
        was_due=due_on(referral, risk_level=previous),
        assessment_seq=seq,
    )


def review(
    *,
    session: Session,
    referral_id: str,
    body: ReviewIn,
    by: Principal,
    view: DirectoryView,
    now: dt.datetime | None = None,
) -> ReviewDone:
    """A review by the referrer, the lead provider or an admin (who may reassess)."""
    now = now or utcnow()
    diff: DiffPublic | None = None
    if isinstance(body, ReassessedReviewIn):
        result = referral_service.reassess_referral(
            session=session,
            referral_id=referral_id,
            body=body.assessment,
            by=by,
            view=view,
            now=now,
        )
        diff = result.diff
        referral = referrals.get(session=session, referral_id=referral_id)
        assert referral is not None  # reassess_referral found it
        done = record_reassessment(session=session, referral=referral, by=by, now=now)
        if body.note is not None:
            done.note = body.note
            session.add(done)
    else:
        referral = referral_service.may_act_on(
            session=session,
            referral=referrals.get(session=session, referral_id=referral_id, for_update=True),
            by=by,
        )
        if referral.status != "open":
            raise ReferralClosedError("The referral is closed: it has no more reviews")
        done = _record(
            session=session,
            referral=referral,
            by=by,
            now=now,
            outcome=ReviewOutcome.NO_CHANGE,
            was_due=due_on(referral),
            note_text=body.note,
        )
    session.flush()
    return ReviewDone(review=to_public(done), next_review_on=done.next_review_on, diff=diff)


# --------------------------------------------------------------------------- bringing forward


def request_review(
    *,
    session: Session,
    referral_id: str,
    body: ReviewRequestIn,
    by: Principal,
    now: dt.datetime | None = None,
) -> ReviewSchedule:
    """Bring the next review forward: to today or later, and sooner than it is due now."""
    now = now or utcnow()
    today = local_date(now)
    referral = referral_service.may_act_on(
        session=session,
        referral=referrals.get(session=session, referral_id=referral_id, for_update=True),
        by=by,
        lead_only=False,
    )
    if referral.status != "open":
        raise ReferralClosedError("The referral is closed: it has no more reviews")
    current = due_on(referral)
    if body.review_by < today:
        raise UnprocessableContentError.at(
            ["body", "review_by"], f"is in the past: today is {today.isoformat()}"
        )
    if body.review_by >= current:
        raise UnprocessableContentError.at(
            ["body", "review_by"],
            f"must be sooner than the review already due on {current.isoformat()}",
        )
    referral.next_review_on = body.review_by
    referral.review_requested_by = by.name
    referral.review_reason = body.reason
    referral.updated_at = now
    session.add(referral)
    note(
        session=session,
        referral=referral,
        kind="review.requested",
        text=f"{by.name} asked for the next review sooner: by {body.review_by:%d %B %Y} "
        f"rather than {current:%d %B %Y} ({body.reason}).",
        now=now,
        actor=by.name,
    )
    audit.record(
        session=session,
        by=by,
        action="request_review",
        entity_type="referral",
        entity_id=referral.id,
        before={"next_review_on": current.isoformat()},
        after={"next_review_on": body.review_by.isoformat(), "reason": body.reason},
    )
    session.flush()
    return ReviewSchedule(
        referral_id=referral.id,
        next_review_on=body.review_by,
        requested_by=by.name,
        reason=body.reason,
    )
