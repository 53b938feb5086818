"""Mapping the directory to HSDS 3.1."""

from __future__ import annotations

import math
import re

from sqlmodel import Session

from graph.codec import eligibility_from_dict
from graph.model import Eligibility
from graph.vocabulary import (
    ACCESS_NEEDS,
    CAMBRIDGESHIRE_AND_PETERBOROUGH,
    AccessNeed,
    RiskLevel,
    Severity,
    Sex,
    language_name,
    primary_language,
)
from services.common.errors import NotFoundError

from ..ids import derived_uuid
from ..providers.models import Provider
from ..services.models import Service
from . import repository
from .schemas import (
    HsdsAttribute,
    HsdsCapacity,
    HsdsLanguage,
    HsdsOrganization,
    HsdsPage,
    HsdsPhone,
    HsdsService,
    HsdsServiceArea,
    HsdsTaxonomyTerm,
    HsdsUnit,
)

AREA_URI = "http://statistics.data.gov.uk/id/statistical-geography/{code}"
"""The ONS linked-data identifier of a GSS area code."""

UNIT = HsdsUnit(
    id=derived_uuid("unit", "new-referral-places"),
    name="Places for new referrals",
    scheme="pathways",
    identifier="referral-place",
)
ACCESS_TAXONOMY = "Pathways access needs"
INTERPRETERS = "Interpreters can be arranged, including British Sign Language interpreters."
_WEB = re.compile(r"^https?://\S+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class OpenReferralServiceNotFoundError(NotFoundError):
    code = "service_not_found"
    description = "No such service"


def _words(code: str) -> str:
    return code.replace("_", " ")


def _join(items: list[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


_SEVERITY = {
    Severity.NONE: "none",
    Severity.LOW: "low",
    Severity.MODERATE: "moderate",
    Severity.HIGH: "high",
}


def describe(e: Eligibility) -> list[str]:
    """Plain-English sentences for an eligibility block (data, not rules: graph/ applies them)."""
    out: list[str] = []
    if e.min_age is not None and e.max_age is not None:
        out.append(f"Aged {e.min_age} to {e.max_age}.")
    elif e.min_age is not None:
        out.append(f"Aged {e.min_age} or over.")
    elif e.max_age is not None:
        out.append(f"Aged {e.max_age} or under.")
    if e.areas is not None:
        names = [CAMBRIDGESHIRE_AND_PETERBOROUGH.get(a, a) for a in sorted(e.areas)]
        out.append(f"Living in {_join(names)}.")
    if e.incident_kinds is not None:
        out.append(f"After {_join(sorted(_words(k) for k in e.incident_kinds), 'or')}.")
    if e.victim_roles is not None:
        roles = {
            "direct": "direct victims",
            "indirect": "family and friends of victims (indirect victims)",
            "witness": "witnesses",
        }
        out.append(f"For {_join([roles.get(r, _words(r)) for r in sorted(e.victim_roles)])}.")
    if e.risk_levels is not None:
        levels = [r.value for r in sorted(e.risk_levels, key=lambda r: RiskLevel(r).rank)]
        out.append(f"At {_join(levels, 'or')} risk of serious harm.")
    if e.requires_police_report:
        out.append("The crime must have been reported to the police.")
    elif e.requires_police_report is False:
        out.append("No police report is needed.")
    if e.sexes is not None:
        if e.sexes == frozenset({Sex.FEMALE}):
            out.append("Women only.")
        elif e.sexes == frozenset({Sex.MALE}):
            out.append("Men only.")
        else:
            out.append(f"Sex: {_join(sorted(s.value for s in e.sexes), 'or')}.")
    if e.max_days_since_incident is not None:
        out.append(f"Within {e.max_days_since_incident} days of the incident.")
    if e.min_severity is not None or e.max_severity is not None:
        lo = _SEVERITY[e.min_severity if e.min_severity is not None else Severity.LOW]
        hi = _SEVERITY[e.max_severity if e.max_severity is not None else Severity.HIGH]
        band = lo if lo == hi else f"{lo} to {hi}"
        out.append(f"For needs of {band} severity.")
    if e.flags_any is not None:
        out.append(f"Where there is {_join(sorted(_words(f) for f in e.flags_any), 'or')}.")
    if e.requires_court_case:
        out.append("Where the case is going to court.")
    if e.any_of:
        options = [" ".join(describe(alt)).rstrip(".") or "anyone" for alt in e.any_of]
        out.append(f"And one of: {_join([f'({o})' for o in options], 'or')}.")
    return out


def _application_process(e: Eligibility) -> str:
    if e.accepts_self_referral:
        return "You can refer yourself, or be referred by the police or another agency."
    return "By referral from the police or another agency working with you."


def languages(service: Service) -> list[HsdsLanguage]:
    """One HSDS language per declared tag: ``code`` is its ISO 639 language; a tag with a
    script or region (``pt-BR``) keeps it in the note."""
    out = []
    for tag in service.languages:
        code = primary_language(tag)
        out.append(
            HsdsLanguage(
                id=derived_uuid("language", service.id, tag),
                service_id=service.openreferral_id,
                name=language_name(tag),
                code=code,
                note=None if tag == code else f"Language tag (BCP 47): {tag}",
            )
        )
    return out


def access_term(code: AccessNeed) -> HsdsTaxonomyTerm:
    return HsdsTaxonomyTerm(
        id=derived_uuid("taxonomy_term", "access", code.value),
        code=code.value,
        name=_words(code.value).capitalize(),
        description=ACCESS_NEEDS[code],
        taxonomy=ACCESS_TAXONOMY,
    )


def attributes(service: Service) -> list[HsdsAttribute]:
    out = []
    for value in sorted(service.access):
        term = access_term(AccessNeed(value))
        out.append(
            HsdsAttribute(
                id=derived_uuid("attribute", service.id, "access", value),
                link_id=service.openreferral_id,
                link_type="access",
                link_entity="service",
                taxonomy_term_id=term.id,
                taxonomy_term=term,
                value=value,
                label=term.name,
            )
        )
    return out


def to_hsds(service: Service, provider: Provider) -> HsdsService:
    sid = service.openreferral_id
    org_id = derived_uuid("organization", provider.id)
    eligibility = eligibility_from_dict(service.eligibility, "eligibility")
    contact = service.contact
    phone = contact.get("phone")
    areas = sorted(eligibility.areas) if eligibility.areas is not None else []
    capacities = []
    if service.capacity_available is not None and service.capacity_updated is not None:
        capacities.append(
            HsdsCapacity(
                id=derived_uuid("service_capacity", service.id),
                service_id=sid,
                unit=UNIT,
                available=service.capacity_available,
                maximum=service.capacity_maximum,
                description=f"Capacity status: {service.capacity_status}",
                updated=service.capacity_updated.isoformat(),
            )
        )
    provider_contact = provider.contact
    return HsdsService(
        id=sid,
        organization_id=org_id,
        name=service.name,
        alternate_name=service.id,
        description=service.description or None,
        url=contact["url"] if _WEB.match(contact.get("url", "")) else None,
        email=contact["email"] if _EMAIL.match(contact.get("email", "")) else None,
        status="active",
        interpretation_services=INTERPRETERS if service.interpreters else None,
        application_process=_application_process(eligibility),
        eligibility_description=" ".join(describe(eligibility)) or "Anyone affected by crime.",
        minimum_age=eligibility.min_age,
        maximum_age=eligibility.max_age,
        last_modified=service.updated_at.isoformat(),
        phones=[HsdsPhone(id=derived_uuid("phone", service.id), service_id=sid, number=phone)]
        if phone
        else [],
        service_areas=[
            HsdsServiceArea(
                id=derived_uuid("service_area", service.id, area),
                service_id=sid,
                name=CAMBRIDGESHIRE_AND_PETERBOROUGH.get(area, area),
                extent=area,
                extent_type="text",
                uri=AREA_URI.format(code=area),
            )
            for area in areas
        ],
        capacities=capacities,
        languages=languages(service),
        attributes=attributes(service),
        organization=HsdsOrganization(
            id=org_id,
            name=provider.name,
            description=provider.description or provider.name,
            email=provider_contact["email"]
            if _EMAIL.match(provider_contact.get("email", ""))
            else None,
            website=provider_contact["url"]
            if _WEB.match(provider_contact.get("url", ""))
            else None,
        ),
    )


def list_services(*, session: Session, page: int, per_page: int) -> HsdsPage:
    total = repository.count(session=session)
    rows = repository.page(session=session, offset=(page - 1) * per_page, limit=per_page)
    total_pages = max(1, math.ceil(total / per_page))
    return HsdsPage(
        total_items=total,
        total_pages=total_pages,
        page_number=page,
        size=len(rows),
        first_page=page == 1,
        last_page=page >= total_pages,
        empty=not rows,
        contents=[to_hsds(s, p) for s, p in rows],
    )


def get_service(*, session: Session, service_id: str) -> HsdsService:
    """By our id or by the export's uuid."""
    row = repository.one(session=session, service_id=service_id, openreferral_id=service_id.lower())
    if row is None:
        raise OpenReferralServiceNotFoundError(f"There is no service {service_id!r}")
    return to_hsds(*row)
