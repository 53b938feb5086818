"""The subset of HSDS 3.1 this export fills (field names and meanings as in the standard)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HsdsUnit(BaseModel):
    id: str
    name: str
    scheme: str | None = None
    identifier: str | None = None


class HsdsCapacity(BaseModel):
    id: str
    service_id: str
    unit: HsdsUnit
    available: float
    maximum: float | None = None
    description: str | None = None
    updated: str


class HsdsServiceArea(BaseModel):
    id: str
    service_id: str
    name: str | None = None
    description: str | None = None
    extent: str | None = None
    extent_type: str | None = None
    uri: str | None = None


class HsdsPhone(BaseModel):
    id: str
    service_id: str | None = None
    organization_id: str | None = None
    number: str


class HsdsLanguage(BaseModel):
    id: str
    service_id: str
    name: str | None = None
    code: str = Field(description="ISO 639-1 or ISO 639-3: the language of our BCP 47 tag.")
    note: str | None = None


class HsdsTaxonomyTerm(BaseModel):
    id: str
    code: str
    name: str
    description: str
    taxonomy: str


class HsdsAttribute(BaseModel):
    id: str
    link_id: str
    link_type: str
    link_entity: str
    taxonomy_term_id: str
    taxonomy_term: HsdsTaxonomyTerm
    value: str | None = None
    label: str | None = None


class HsdsOrganization(BaseModel):
    id: str
    name: str
    description: str
    email: str | None = None
    website: str | None = None
    phones: list[HsdsPhone] | None = None


class HsdsService(BaseModel):
    id: str = Field(description="A stable uuid5 of our service id.")
    organization_id: str
    name: str
    alternate_name: str | None = Field(default=None, description="Our service id.")
    description: str | None = None
    url: str | None = None
    email: str | None = None
    status: str
    interpretation_services: str | None = None
    application_process: str | None = None
    eligibility_description: str | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    last_modified: str
    phones: list[HsdsPhone] = Field(default_factory=list)
    service_areas: list[HsdsServiceArea] = Field(default_factory=list)
    capacities: list[HsdsCapacity] = Field(default_factory=list)
    languages: list[HsdsLanguage] = Field(default_factory=list)
    attributes: list[HsdsAttribute] = Field(
        default_factory=list,
        description="The access needs it meets, as terms of the Pathways access taxonomy "
        "(`link_type` `access`; the term's `code` is our access code).",
    )
    organization: HsdsOrganization


class HsdsPage(BaseModel):
    """An HSDS page of services."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[HsdsService]
