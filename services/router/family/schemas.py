"""Request and response shapes for family links."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from graph.vocabulary import (
    AccessNeed,
    HandoverMode,
    HandoverStatus,
    Need,
    RiskFlag,
    RiskLevel,
    Sex,
    VictimRole,
)
from services.common.inputs import WHOLE_NUMBER, InputModel, LanguageTag

from ..referrals.schemas import ContactIn, ServiceRef, Severity
from .models import FamilyKind, Relationship

__all__ = [
    "MAX_MEMBERS",
    "FamilyCasePublic",
    "FamilyIn",
    "FamilyLinked",
    "FamilyMemberPublic",
    "FamilyPublic",
    "MemberCreated",
    "MemberIn",
    "MemberRelationship",
    "PlannedService",
    "ReferralFamily",
]

MAX_MEMBERS = 10
"""Members linked in one request."""

MemberRelationship = Literal["child", "partner", "parent", "sibling", "relative", "friend"]
"""How a new member is related to the case's first victim (``self`` is the first victim's)."""


class MemberIn(InputModel):
    """A family member: the victim's fields of a referral (``VictimIn``) less the area, which
    comes from the first referral with the incident and the source, plus their own needs.

    ``tests/router/family/test_schemas.py`` keeps the fields in step with ``VictimIn``."""

    relationship: MemberRelationship = Field(description="To the case's first victim.")
    age: Annotated[StrictInt, Field(ge=0, le=120), WHOLE_NUMBER] | None = None
    role: VictimRole = Field(
        default=VictimRole.INDIRECT,
        description="Family members are indirect victims unless said otherwise (a child who "
        "saw or heard domestic abuse may be given as `direct`).",
    )
    sex: Sex | None = None
    consent_to_share: StrictBool = Field(
        default=False,
        description="The member's consent (a parent's or carer's for a young child). Without "
        "it every handover is a signpost and no personal data leaves.",
    )
    refused_services: list[ServiceRef] = Field(default_factory=list, max_length=50)
    contact: ContactIn | None = Field(
        default=None, description="How to contact this member (or their parent or carer)."
    )
    language: LanguageTag | None = None
    interpreter: StrictBool | None = None
    access_needs: list[AccessNeed] | None = Field(default=None, max_length=len(AccessNeed))
    needs: dict[Need, Severity] | None = Field(
        default=None,
        description="Need code → severity. Default: `young_victim_support` 2 for a child "
        "(under 18, or a `child` of unknown age) and `bereavement_support` 2 in a "
        "`bereaved_family` case; required for anyone else.",
    )
    flags: list[RiskFlag] = Field(
        default_factory=list,
        max_length=20,
        description="The member's own risk flags; in a `bereaved_family` case `bereaved` is added.",
    )
    risk_level: RiskLevel | None = Field(
        default=None, description="The member's own risk level, where assessed."
    )


class FamilyIn(InputModel):
    kind: FamilyKind = Field(
        description="What links them. Adding to an existing case must name its kind."
    )
    members: list[MemberIn] = Field(
        min_length=1,
        max_length=MAX_MEMBERS,
        description=f"1 to {MAX_MEMBERS} people, each referred for support of their own.",
    )


# --------------------------------------------------------------------------- responses


class FamilyCasePublic(BaseModel):
    id: str
    kind: FamilyKind
    created_at: dt.datetime
    created_by: str = Field(description="The name of the key that linked the first members.")


class PlannedService(BaseModel):
    service_id: str
    mode: HandoverMode
    status: HandoverStatus


class MemberCreated(BaseModel):
    """A member's new referral and where it was routed."""

    referral_id: str | None = Field(
        description="The member's referral; null for a provider that is not on the member's "
        "own plan (it made the referral on the victim's word, but may not read it)."
    )
    relationship: MemberRelationship
    lead: str | None = Field(description="The planned lead of the member's own plan.")
    handovers: list[PlannedService] = Field(description="The services in the member's plan.")


class FamilyLinked(BaseModel):
    case: FamilyCasePublic
    created: list[MemberCreated]


class FamilyMemberPublic(BaseModel):
    referral_id: str
    relationship: Relationship
    risk_level: RiskLevel
    status: str
    lead: str | None = Field(description="The planned lead of the member's plan.")
    added_at: dt.datetime


class FamilyPublic(BaseModel):
    """A family case as the caller may see it: a provider sees only the members whose plan it
    is on with a warm handover, and nothing at all of the others (not even how many there are)."""

    case: FamilyCasePublic
    members: list[FamilyMemberPublic]


class ReferralFamily(BaseModel):
    """The family case a referral is in, as the caller may see it (see ``FamilyPublic``)."""

    case: FamilyCasePublic | None = Field(
        description="Null when the referral is in no family case (and `members` is empty)."
    )
    members: list[FamilyMemberPublic]
