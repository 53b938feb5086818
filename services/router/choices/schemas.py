"""Request and response shapes for the victim's choices."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from services.common.auth.schemas import Role
from services.common.inputs import InputModel, IsoDate, Reason

from ..referrals.schemas import ContactIn, DiffPublic, ReferralPublic, ServiceRef

__all__ = [
    "ChoiceMade",
    "ChoiceOutcome",
    "ConsentWithdrawalIn",
    "ContactIn",
    "PauseIn",
    "PausePublic",
    "RefusalIn",
    "Told",
]


class RefusalIn(InputModel):
    service_id: ServiceRef = Field(description="The service the victim says no to.")
    reason: Reason | None = Field(
        default=None, description="Why, in the victim's words where they gave any (optional)."
    )


class PauseIn(InputModel):
    until: IsoDate | None = Field(
        default=None,
        description="The last day of the pause (today or later); null: until the victim "
        "resumes contact.",
    )
    reason: Reason


class ConsentWithdrawalIn(InputModel):
    reason: Reason


ChoiceKind = Literal["refusal", "pause", "resume", "contact", "consent_withdrawn"]


class ChoiceMade(BaseModel):
    """What the victim said, who recorded it and when."""

    kind: ChoiceKind
    service_id: str | None = Field(default=None, description="For a refusal: the service.")
    reason: str | None
    said_by: str = Field(description="The name of the key that recorded it, on the victim's word.")
    said_by_role: Role
    said_at: dt.datetime
    changed: bool = Field(
        description="False when the choice was already recorded: nothing changed and nobody "
        "was told again."
    )


class PausePublic(BaseModel):
    paused: bool = Field(description="True while the pause is in effect.")
    until: dt.date | None = Field(description="The pause's last day; null: until resumed.")
    reason: str | None
    since: dt.datetime | None
    by: str | None


class Told(BaseModel):
    """A provider system told of the choice by webhook."""

    type: str
    handover_id: str
    service_id: str
    provider_id: str


class ChoiceOutcome(BaseModel):
    """The referral as the caller may see it after the victim's choice, and what followed."""

    referral: ReferralPublic
    choice: ChoiceMade
    pause: PausePublic
    told: list[Told] = Field(description="The webhooks queued for provider systems.")
    diff: DiffPublic | None = Field(
        default=None, description="For a refusal: the plan re-made without the service."
    )
    without_lead: bool = Field(
        default=False,
        description="True when the victim is at high risk and no open service leads the case "
        "(e.g. they refused their lead and nothing else can lead): the referrer stays "
        "responsible and must act.",
    )
    warnings: list[str] = Field(default_factory=list)
