"""The search request (a referral's ``victim``, ``incident`` and ``assessment``) and result.

These shapes document and pre-check the body; graph.codec then reads it strictly, as it reads a
referral, so the router and the directory accept exactly the same profiles.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints

from graph.access import LanguageFit
from graph.vocabulary import (
    AccessNeed,
    Check,
    ContactChannel,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Sex,
    SourceKind,
    VictimRole,
)
from services.common.inputs import WHOLE_NUMBER, InputModel

from ..fields import ACCESS_DESCRIPTION, AreaCode, LanguageTag

IsoDate = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    Field(json_schema_extra={"format": "date"}, description="YYYY-MM-DD, not in the future."),
]
SeverityValue = Annotated[StrictInt, Field(ge=0, le=3), WHOLE_NUMBER]


class SourceIn(InputModel):
    kind: SourceKind = Field(
        description="`self` checks that services accept self-referrals; `police` and `agency` "
        "are professional referrals."
    )
    reference: Annotated[str, StringConstraints(max_length=100)] | None = None


class ContactPreferencesIn(InputModel):
    channels: list[ContactChannel] | None = Field(default=None, max_length=len(ContactChannel))
    safe_times: Annotated[str, StringConstraints(max_length=200)] | None = None
    do_not_contact: StrictBool | None = None


class VictimIn(InputModel):
    area: AreaCode
    role: VictimRole | None = None
    age: Annotated[StrictInt, Field(ge=0, le=120), WHOLE_NUMBER] | None = None
    sex: Sex | None = None
    consent_to_share: StrictBool | None = None
    refused_services: (
        list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None
    ) = Field(default=None, max_length=200)
    contact: ContactPreferencesIn | None = None
    language: LanguageTag | None = Field(
        default=None, description="The victim's preferred language (BCP 47), e.g. `pl`."
    )
    interpreter: StrictBool | None = Field(default=None, description="Needs an interpreter.")
    access_needs: list[AccessNeed] | None = Field(
        default=None,
        max_length=len(AccessNeed),
        description="What the victim needs in order to use a service. " + ACCESS_DESCRIPTION,
    )


class IncidentIn(InputModel):
    kind: IncidentKind
    reported_to_police: StrictBool | None = None
    occurred_on: IsoDate | None = None
    reported_on: IsoDate | None = None
    going_to_court: StrictBool | None = None


class AssessmentIn(InputModel):
    needs: dict[Need, SeverityValue] = Field(
        max_length=len(Need), description="Need code → severity (0 none … 3 high)."
    )
    risk_level: RiskLevel | None = None
    dash_score: Annotated[StrictInt, Field(ge=0, le=24), WHOLE_NUMBER] | None = None
    flags: list[RiskFlag] | None = Field(default=None, max_length=len(RiskFlag))
    incidents_last_12_months: Annotated[StrictInt, Field(ge=0, le=1000), WHOLE_NUMBER] | None = None
    last_marac_referral_on: IsoDate | None = None


class SearchRequest(InputModel):
    """A victim profile, as in a referral. `source` may be left out (a professional search)."""

    source: SourceIn | None = None
    victim: VictimIn
    incident: IncidentIn
    assessment: AssessmentIn


class SearchHitPublic(BaseModel):
    service_id: str
    needs_met: list[Need]
    score: float = Field(description="Higher is better: severity met, doubled for specialisms.")
    language: LanguageFit = Field(
        description="How it meets the victim's language: `not_asked` (none given), `spoken`, "
        "`interpreter` (it arranges one), `unknown` (it declares no languages), `unmet`."
    )
    interpreter: bool = Field(description="It would arrange an interpreter for this victim.")
    access_to_arrange: list[AccessNeed] = Field(
        description="The victim's access needs it does not declare: arrange or confirm them."
    )


class GapPublic(BaseModel):
    service_id: str
    failed: list[Check] = Field(description="The one check it failed.")


class SearchResponse(BaseModel):
    directory_version: int
    results: list[SearchHitPublic] = Field(description="Eligible services, best first.")
    gaps: list[GapPublic] = Field(
        description="Services that failed exactly one check: where a small change would help."
    )
