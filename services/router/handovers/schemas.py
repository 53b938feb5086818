"""Request and response shapes for handovers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictInt

from graph.vocabulary import CapacityStatus, Check, HandoverMode, HandoverStatus, Need, Outcome
from services.common.inputs import WHOLE_NUMBER, InputModel, Reason


class Rejection(BaseModel):
    service_id: str
    failed: list[Check]


class ExplanationPublic(BaseModel):
    role: str = Field(description="lead, support or coordinator")
    summary: str
    needs_met: list[Need]
    specialist_for: list[Need]
    passed: list[Check]
    confirm: list[Check] = Field(description="Checks to confirm with the victim (facts not given).")
    path: list[str]
    capacity: CapacityStatus
    capacity_stale: bool
    continuity: bool
    alternatives: list[str]
    rejected: list[Rejection]


SATISFACTION_SCALE = "1 very dissatisfied, 2 dissatisfied, 3 neither, 4 satisfied, 5 very satisfied"


class Satisfaction(BaseModel):
    """The victim's satisfaction on the one scale every agency uses (DESIGN.md: measured the
    same way across agencies)."""

    score: Annotated[StrictInt, Field(ge=1, le=5), WHOLE_NUMBER] = Field(
        description=f"The victim's answer on the common scale: {SATISFACTION_SCALE}."
    )
    reason: Reason | None = Field(
        default=None, description="Why, in the victim's words where they gave any."
    )


class HandoverPublic(BaseModel):
    id: str
    referral_id: str
    service_id: str
    service_name: str
    provider_id: str
    from_: str = Field(alias="from", serialization_alias="from")
    needs: list[Need]
    status: HandoverStatus
    mode: HandoverMode
    lead: bool = Field(description="This service owns the case now.")
    explanation: ExplanationPublic
    response_hours: int
    requested_at: dt.datetime | None
    respond_by: dt.datetime | None
    accepted_at: dt.datetime | None
    contacted_at: dt.datetime | None
    closed_at: dt.datetime | None
    reason: str | None = Field(description="Why it was declined, expired or cancelled.")
    release_after: list[str] | None = Field(
        description="A scheduled release: cancelled once these have made first contact."
    )
    release_reason: str | None
    outcomes: dict[Need, Outcome] | None
    satisfaction: Satisfaction | None = Field(
        description="The victim's satisfaction, recorded by the provider at completion; null "
        "when not recorded (the victim did not want to answer, or the handover is not complete)."
    )

    model_config = {"populate_by_name": True}


class HandoverDetail(HandoverPublic):
    """A handover as its provider sees it, with what travels with it (none in signpost mode)."""

    shared: dict[str, Any] | None = Field(
        description="The victim's details and assessment (warm handovers only); null for a "
        "signpost, where no personal data is shared."
    )


class AcceptIn(InputModel):
    """An optional body for accepting: only needed to accept above the service's capacity."""

    over_capacity_reason: Reason | None = Field(
        default=None,
        description="Why the service takes the victim on although it has no places left by "
        "its confirmed capacity. Without it such an accept is a 409 `over_capacity`; with it "
        "the decision is recorded in the timeline and the audit log. Ignored while places "
        "are left.",
    )


class DeclineIn(InputModel):
    reason: Reason


class SatisfactionIn(Satisfaction, InputModel):
    """The victim's satisfaction as the provider records it."""


class CompleteIn(InputModel):
    outcomes: dict[Need, Outcome] = Field(
        description="For each need this handover met: improved, same or worse."
    )
    satisfaction: SatisfactionIn | None = Field(
        default=None,
        description="The victim's satisfaction with this service, asked at completion; leave it "
        "out when the victim did not want to answer.",
    )
