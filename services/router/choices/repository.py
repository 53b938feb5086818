"""Queries for the victim's choices: the referral's own (``referrals.repository``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ..handovers.models import Handover
from ..referrals import repository as referrals
from ..referrals.models import Referral


def get_for_update(*, session: Session, referral_id: str) -> Referral | None:
    """The referral, locked: every change to one case happens one at a time."""
    return referrals.get(session=session, referral_id=referral_id, for_update=True)


def handovers(*, session: Session, referral_id: str) -> list[Handover]:
    return referrals.handovers(session=session, referral_id=referral_id)


def latest_assessment(*, session: Session, referral_id: str) -> dict[str, Any]:
    return referrals.latest_assessment(session=session, referral_id=referral_id).body
