"""Every query on family cases and their members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ..handovers.models import Handover
from ..referrals.models import Referral, TimelineEvent
from .models import FamilyCase, FamilyMember


def get_case(*, session: Session, case_id: str, for_update: bool = False) -> FamilyCase | None:
    query = select(FamilyCase).where(FamilyCase.id == case_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def membership(*, session: Session, referral_id: str) -> FamilyMember | None:
    return session.get(FamilyMember, referral_id)


def members(*, session: Session, case_id: str) -> list[tuple[FamilyMember, Referral]]:
    """The case's members with their referrals, the first victim first, then as added."""
    query = (
        select(FamilyMember, Referral)
        .join(Referral, col(Referral.id) == col(FamilyMember.referral_id))
        .where(FamilyMember.case_id == case_id)
        .order_by(col(FamilyMember.seq))
    )
    return [(m, r) for m, r in session.exec(query)]


def next_seq(*, session: Session, case_id: str) -> int:
    query = select(func.max(FamilyMember.seq)).where(FamilyMember.case_id == case_id)
    current = session.exec(query).one()
    return 0 if current is None else int(current) + 1


def warm_on(*, session: Session, provider_id: str, referral_ids: Sequence[str]) -> set[str]:
    """The referrals among ``referral_ids`` on whose plan ``provider_id`` has a warm handover
    (the rule that lets a provider read a referral's timeline)."""
    if not referral_ids:
        return set()
    query = select(Handover.referral_id).where(
        col(Handover.referral_id).in_(referral_ids),
        Handover.provider_id == provider_id,
        Handover.mode == "warm",
    )
    return set(session.exec(query))


def add_case(*, session: Session, case: FamilyCase) -> FamilyCase:
    session.add(case)
    return case


def add_member(*, session: Session, member: FamilyMember) -> FamilyMember:
    session.add(member)
    return member


def assign_referrer(*, session: Session, referral_ids: Sequence[str], referrer: str) -> None:
    """Make ``referrer`` the owner of the referrals (their ``referrer``: who may read them)."""
    if referral_ids:
        session.connection().execute(
            update(Referral).where(col(Referral.id).in_(referral_ids)).values(referrer=referrer)
        )


def note(
    *, session: Session, referral_id: str, kind: str, text: str, now: dt.datetime, actor: str
) -> None:
    """One timeline event, in plain words."""
    session.add(
        TimelineEvent(referral_id=referral_id, occurred_at=now, kind=kind, actor=actor, text=text)
    )
