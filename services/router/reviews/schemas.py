"""Request and response shapes for scheduled reviews."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from graph.vocabulary import RiskLevel
from services.common.inputs import InputModel, IsoDate, Reason

from ..referrals.schemas import AssessmentIn, DiffPublic


class ReviewOutcome(StrEnum):
    NO_CHANGE = "no_change"
    REASSESSED = "reassessed"


Note = Annotated[
    Reason,
    Field(description="What the review found, in plain words (seen by the parties on the case)."),
]


class NoChangeReviewIn(InputModel):
    """The victim's needs and risk are as assessed: the next review is scheduled."""

    outcome: Literal["no_change"]
    note: Note | None = None


class ReassessedReviewIn(InputModel):
    """Needs or risk changed: a reassessment, applied as a diff (``POST …/assessments``)."""

    outcome: Literal["reassessed"]
    assessment: AssessmentIn
    note: Note | None = None


ReviewIn = Annotated[NoChangeReviewIn | ReassessedReviewIn, Field(discriminator="outcome")]


class ReviewRequestIn(InputModel):
    review_by: IsoDate = Field(
        description="The day (in England) the next review is now due: today or later, and "
        "sooner than the current due date."
    )
    reason: Reason = Field(description="Why the review is brought forward.")


class ReviewPublic(BaseModel):
    id: int
    referral_id: str
    seq: int = Field(description="1 for the referral's first review, and so on.")
    outcome: ReviewOutcome
    due_on: dt.date = Field(description="When the review was due.")
    done_on: dt.date = Field(description="The day (in England) it was done.")
    done_at: dt.datetime
    late: bool = Field(description="Done after `due_on`.")
    risk_level: RiskLevel = Field(description="The risk level once reviewed.")
    assessment_seq: int | None = Field(description="For a reassessment: the assessment made.")
    next_review_on: dt.date = Field(description="The next review it scheduled.")
    by: str = Field(description="The name of the key that recorded it.")
    note: str | None


class ReviewDone(BaseModel):
    review: ReviewPublic
    next_review_on: dt.date = Field(
        description="The next review: today plus 14 days at high risk, 21 at medium, 28 at "
        "standard."
    )
    diff: DiffPublic | None = Field(
        description="For a reassessment, the change to the plan (as `POST …/assessments`)."
    )


class ReviewSchedule(BaseModel):
    referral_id: str
    next_review_on: dt.date
    requested_by: str | None = Field(description="Who brought the review forward.")
    reason: str | None


class ReviewDue(BaseModel):
    """A referral due for review: no personal data (as a referral in `GET /referrals`)."""

    referral_id: str
    due_on: dt.date
    overdue: bool = Field(description="`due_on` is before today (in England).")
    brought_forward: bool = Field(description="A party on the case asked for it sooner.")
    risk_level: RiskLevel
    lead: str | None = Field(description="The planned lead (case owner).")
    last_reviewed_on: dt.date | None = Field(description="Null: never reviewed yet.")


class ReviewHistory(BaseModel):
    referral_id: str
    next_review_on: dt.date | None = Field(description="Null when the referral is closed.")
    reviews: list[ReviewPublic]
