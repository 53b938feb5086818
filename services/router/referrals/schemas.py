"""Request and response shapes for referrals, assessments and timelines (API.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints

from graph.vocabulary import (
    AccessNeed,
    ContactChannel,
    IncidentKind,
    MaracCriterion,
    Need,
    RiskFlag,
    RiskLevel,
    Sex,
    SourceKind,
    VictimRole,
)
from services.common.inputs import WHOLE_NUMBER, InputModel, IsoDate, LanguageTag

from ..handovers.schemas import HandoverPublic, Rejection

AreaCode = Annotated[str, StringConstraints(pattern=r"^[EWSN]\d{8}$")]
ServiceRef = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Severity = Annotated[StrictInt, Field(ge=0, le=3), WHOLE_NUMBER]


class SourceIn(InputModel):
    kind: SourceKind
    reference: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None, description="The referrer's own reference, e.g. a crime number."
    )


class ContactIn(InputModel):
    channels: list[ContactChannel] = Field(default_factory=list, max_length=5)
    safe_times: Annotated[str, StringConstraints(max_length=200)] | None = None
    do_not_contact: StrictBool = False


class VictimIn(InputModel):
    age: Annotated[StrictInt, Field(ge=0, le=120), WHOLE_NUMBER] | None = None
    area: AreaCode = Field(description="ONS local authority code, e.g. E07000008.")
    role: VictimRole = VictimRole.DIRECT
    sex: Sex | None = None
    consent_to_share: StrictBool = Field(
        default=False,
        description="Without consent every handover is a signpost and no personal data leaves.",
    )
    refused_services: list[ServiceRef] = Field(default_factory=list, max_length=50)
    contact: ContactIn | None = None
    language: LanguageTag | None = Field(
        default=None,
        description="The victim's preferred language; the plan prefers services "
        "that work in it (or arrange interpreters), and it travels with every warm handover.",
    )
    interpreter: StrictBool | None = Field(
        default=None, description="The victim needs an interpreter (in `language`, where given)."
    )
    access_needs: list[AccessNeed] | None = Field(
        default=None,
        max_length=len(AccessNeed),
        description="What the victim needs to take part (step-free access, easy read…); the "
        "plan prefers services that declare them, and they travel with every warm handover.",
    )


class IncidentIn(InputModel):
    kind: IncidentKind
    reported_to_police: StrictBool = False
    occurred_on: IsoDate | None = None
    reported_on: IsoDate | None = Field(
        default=None, description="When reported; Victims' Code deadlines run from it."
    )
    going_to_court: StrictBool | None = None


class AssessmentIn(InputModel):
    risk_level: RiskLevel | None = None
    dash_score: Annotated[StrictInt, Field(ge=0, le=24), WHOLE_NUMBER] | None = None
    flags: list[RiskFlag] = Field(default_factory=list, max_length=20)
    incidents_last_12_months: Annotated[StrictInt, Field(ge=0, le=1000), WHOLE_NUMBER] | None = None
    last_marac_referral_on: IsoDate | None = None
    needs: dict[Need, Severity] = Field(
        description="Need code → severity (0 none, 1 low, 2 moderate, 3 high)."
    )


class ReferralCreate(InputModel):
    source: SourceIn
    victim: VictimIn
    incident: IncidentIn
    assessment: AssessmentIn


# --------------------------------------------------------------------------- responses


class MaracPublic(BaseModel):
    due: bool
    criterion: MaracCriterion
    criteria: list[MaracCriterion]


class Deadlines(BaseModel):
    refer_by: dt.date = Field(description="2 working days after the report.")
    first_update_by: dt.date = Field(description="1 working day when enhanced, else 5.")


class DirectoryUsed(BaseModel):
    version: str
    stale: bool = Field(
        description="True when the directory could not be reached and the router planned from "
        "its last good snapshot."
    )
    fetched_at: dt.datetime


class UnmetNeed(BaseModel):
    need: Need
    severity: int
    reasons: list[Rejection]


class ImpliedNeed(BaseModel):
    need: Need
    severity: int
    reason: str


class PlanPublic(BaseModel):
    lead: str | None = Field(description="The planned lead (case owner).")
    acting_lead: str | None = Field(
        description="Who owns the case now: the old lead until the new one makes first contact."
    )
    entry: str
    mode: str
    handovers: list[HandoverPublic]
    unmet: list[UnmetNeed]
    implied_needs: list[ImpliedNeed]


class SourcePublic(BaseModel):
    kind: SourceKind
    reference: str | None


class ReferralPublic(BaseModel):
    """A referral with its current plan."""

    id: str
    status: str
    source: SourcePublic
    risk_level: RiskLevel
    enhanced: bool
    enhanced_reasons: list[str]
    marac: MaracPublic | None
    risk_notes: list[str]
    deadlines: Deadlines
    directory_version: str
    directory: DirectoryUsed | None = Field(
        default=None, description="Only on the response that planned: which directory it used."
    )
    plan: PlanPublic
    victim: dict[str, Any]
    incident: dict[str, Any]
    assessment: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    next_review_on: dt.date | None = Field(
        default=None,
        description="When the next scheduled review is due (GET /reviews/due); null once the "
        "referral is closed.",
    )
    contact_paused_until: dt.date | None = Field(
        default=None,
        description="The victim paused contact until this day (POST /referrals/{id}/pause).",
    )
    contact_paused: bool = Field(
        default=False,
        description="The victim has paused contact: nobody contacts them until it ends.",
    )


class ReferralSummary(BaseModel):
    """A referral in a list: no personal data."""

    id: str
    status: str
    source: SourcePublic
    risk_level: RiskLevel
    lead: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class Kept(BaseModel):
    service_id: str
    needs: list[Need]
    lead: bool


class Released(BaseModel):
    service_id: str
    reason: str
    after: list[str] = Field(
        description="Released once each of these has made first contact; empty: released now."
    )
    acting_lead: bool


class DiffPublic(BaseModel):
    start: list[HandoverPublic]
    keep: list[Kept]
    release: list[Released]
    lead_before: str | None
    lead_after: str | None


class ReassessmentPublic(BaseModel):
    referral: ReferralPublic
    diff: DiffPublic


class TimelineEntry(BaseModel):
    at: dt.datetime
    kind: str
    text: str = Field(description="What happened, in plain words.")
    handover_id: str | None


class Timeline(BaseModel):
    referral_id: str
    events: list[TimelineEntry]
