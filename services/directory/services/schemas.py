"""Request and response shapes for services, their eligibility, capacity and webhook."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Self

from pydantic import (
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from graph.vocabulary import (
    AccessNeed,
    CapacityStatus,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Sex,
    VictimRole,
)
from services.common.inputs import WHOLE_NUMBER, InputModel, Name, PatchModel, Text

from ..fields import (
    ACCESS_DESCRIPTION,
    MAX_LANGUAGES,
    AreaCode,
    Contact,
    LanguageTag,
    Slug,
)

MAX_ALTERNATIVES = 10
MAX_AREAS = 200
# Lists whose values must not repeat (checked by _unique): say so in the OpenAPI document too.
UNIQUE: JsonDict = {"uniqueItems": True}

Age = Annotated[StrictInt, Field(ge=0, le=120), WHOLE_NUMBER]
Severity = Annotated[StrictInt, Field(ge=0, le=3), WHOLE_NUMBER]
Places = Annotated[StrictInt, Field(ge=0, le=1_000_000), WHOLE_NUMBER]
ResponseHours = Annotated[StrictInt, Field(ge=1, le=24 * 90), WHOLE_NUMBER]


def _unique(values: list[object] | None, field: str) -> None:
    if values is not None and len(set(values)) != len(values):
        # Stated in the document (uniqueItems): a type of its own, not "value_error".
        raise PydanticCustomError("not_unique", "{field} must not repeat a value", {"field": field})


class Eligibility(InputModel):
    """Who the service may take. A null or absent field means no restriction.

    `any_of` lists alternatives: the service is eligible when every field here holds and, if
    there are alternatives, at least one of them holds too (e.g. "60 or over, *or* domestic
    abuse").
    """

    min_age: Age | None = None
    max_age: Age | None = None
    areas: list[AreaCode] | None = Field(
        default=None, min_length=1, max_length=MAX_AREAS, json_schema_extra=UNIQUE
    )
    incident_kinds: list[IncidentKind] | None = Field(
        default=None, min_length=1, json_schema_extra=UNIQUE
    )
    victim_roles: list[VictimRole] | None = Field(
        default=None, min_length=1, json_schema_extra=UNIQUE
    )
    risk_levels: list[RiskLevel] | None = Field(
        default=None, min_length=1, json_schema_extra=UNIQUE
    )
    requires_police_report: StrictBool | None = None
    sexes: list[Sex] | None = Field(
        default=None,
        min_length=1,
        description="Only for services that lawfully declare single-sex provision.",
        json_schema_extra=UNIQUE,
    )
    max_days_since_incident: Annotated[StrictInt, Field(ge=0, le=36500), WHOLE_NUMBER] | None = None
    self_referral: StrictBool | None = Field(
        default=None, description="false: the victim cannot refer themselves (entry:self)."
    )
    min_severity: Severity | None = Field(
        default=None, description="Severity 0 none, 1 low, 2 moderate, 3 high."
    )
    max_severity: Severity | None = None
    flags_any: list[RiskFlag] | None = Field(default=None, min_length=1, json_schema_extra=UNIQUE)
    requires_court_case: StrictBool | None = None
    any_of: list[Eligibility] | None = Field(default=None, max_length=MAX_ALTERNATIVES)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError(f"min_age must not be above max_age ({self.min_age} > {self.max_age})")
        if (
            self.min_severity is not None
            and self.max_severity is not None
            and self.min_severity > self.max_severity
        ):
            raise ValueError("min_severity must not be above max_severity")
        for field in (
            "areas",
            "incident_kinds",
            "victim_roles",
            "risk_levels",
            "sexes",
            "flags_any",
        ):
            _unique(getattr(self, field), field)
        return self


class CapacityIn(InputModel):
    """New capacity figures; the server sets `updated`."""

    status: CapacityStatus = Field(
        description="green: open; amber: open with a waiting list; red: closed to new handovers."
    )
    available: Places | None = None
    maximum: Places | None = None

    @model_validator(mode="after")
    def _available_within_maximum(self) -> Self:
        if (
            self.available is not None
            and self.maximum is not None
            and self.available > self.maximum
        ):
            raise ValueError(
                f"available must not be above maximum ({self.available} > {self.maximum})"
            )
        return self


class Capacity(BaseModel):
    status: CapacityStatus
    available: int | None
    maximum: int | None
    updated: dt.datetime | None = Field(
        description="When these figures were last set (by the server, in UTC). "
        "Figures older than 24 hours are treated as unknown (amber) when routing."
    )


WebhookSecret = Annotated[
    str,
    StringConstraints(pattern=r"^whsec_[A-Za-z0-9+/]{24,256}={0,2}$"),
    Field(description="A Standard Webhooks secret, `whsec_` and base64 of 18 to 192 bytes."),
]


class WebhookIn(InputModel):
    url: str = Field(
        max_length=2000,
        description="https only (http to loopback only when PATHWAYS_ALLOW_INSECURE_WEBHOOKS "
        "is set, for development).",
    )
    secret: WebhookSecret | None = Field(
        default=None, description="Omit to have the server generate one."
    )


class Webhook(BaseModel):
    url: str
    secret: str


NeedList = Annotated[list[Need], Field(max_length=len(Need), json_schema_extra=UNIQUE)]
LanguageList = Annotated[
    list[LanguageTag],
    Field(
        max_length=MAX_LANGUAGES,
        json_schema_extra=UNIQUE,
        description="The languages its staff work in, as language tags (BCP 47), e.g. "
        '`["en", "pl"]`; `bfi` is British Sign Language. Empty: not declared, which means '
        'unknown, not "English only". A tag must not repeat (in any case).',
    ),
]
AccessList = Annotated[
    list[AccessNeed],
    Field(
        max_length=len(AccessNeed),
        json_schema_extra=UNIQUE,
        description="The access needs it meets. " + ACCESS_DESCRIPTION,
    ),
]
INTERPRETERS = "true: it arranges interpreters (e.g. Language Line, BSL interpreters) for people "
INTERPRETERS += "whose language its staff do not speak."


def _unique_languages(value: list[str] | None) -> list[str] | None:
    # Checked after each tag is put in canonical case, so "PL" and "pl" are the same language.
    _unique(list(value) if value is not None else None, "languages")
    return sorted(value) if value is not None else None


class ServiceCreate(InputModel):
    id: Slug
    provider_id: Slug
    name: Name
    description: Text = ""
    needs: NeedList = Field(min_length=1, description="The needs it meets, main need first.")
    specialisms: NeedList = Field(
        default_factory=list, description="The needs it specialises in: a subset of `needs`."
    )
    eligibility: Eligibility = Field(default_factory=Eligibility)
    capacity: CapacityIn | None = None
    response_hours: ResponseHours = Field(
        default=72, description="Hours it takes to answer a handover."
    )
    contact: Contact = Field(default_factory=dict)
    languages: LanguageList = Field(default_factory=list)
    interpreters: StrictBool = Field(default=False, description=INTERPRETERS)
    access: AccessList = Field(default_factory=list)
    webhook: WebhookIn | None = Field(
        default=None, description="Where the router sends this service's handovers."
    )

    @field_validator("needs", "specialisms", "access")
    @classmethod
    def _no_repeats(cls, value: list[Need]) -> list[Need]:
        _unique(list(value), "the list")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return _unique_languages(value) or []


class ServiceUpdate(PatchModel):
    """Only the fields given change. `webhook: null` removes the webhook. Capacity has its own
    endpoint (`PUT /services/{id}/capacity`)."""

    nullable_fields: ClassVar[frozenset[str]] = frozenset({"webhook"})

    provider_id: Slug | None = None
    name: Name | None = None
    description: Text | None = None
    needs: NeedList | None = Field(default=None, min_length=1)
    specialisms: NeedList | None = None
    eligibility: Eligibility | None = None
    response_hours: ResponseHours | None = None
    contact: Contact | None = None
    languages: LanguageList | None = None
    interpreters: StrictBool | None = Field(default=None, description=INTERPRETERS)
    access: AccessList | None = None
    webhook: WebhookIn | None = None

    @field_validator("needs", "specialisms", "access")
    @classmethod
    def _no_repeats(cls, value: list[Need] | None) -> list[Need] | None:
        _unique(list(value) if value is not None else None, "the list")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        return _unique_languages(value)


class ServicePublic(BaseModel):
    id: str
    provider_id: str
    name: str
    description: str
    needs: list[Need]
    specialisms: list[Need]
    eligibility: Eligibility
    capacity: Capacity
    response_hours: int
    contact: dict[str, str]
    languages: list[str] = Field(
        description="Language tags (BCP 47) its staff work in; empty: not declared (unknown)."
    )
    interpreters: bool = Field(description=INTERPRETERS)
    access: list[AccessNeed] = Field(description="The access needs it meets.")
    openreferral_id: str = Field(description="The service's id in the Open Referral export.")
    created_at: dt.datetime
    updated_at: dt.datetime
    webhook: Webhook | None = Field(
        default=None, description="Present for admins only (null: none set); never shown to others."
    )
