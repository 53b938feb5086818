"""The common language of Pathways (DESIGN.md §3), fixed as enums.

Every code is a lowercase snake_case string. The directory serves these at ``GET /vocabulary``;
the router and the directory validate against them; graph/ reasons with them.

>>> Need("refuge") is Need.REFUGE
True
>>> RiskLevel.HIGH > RiskLevel.MEDIUM
True
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum
from typing import Final


class Need(StrEnum):
    """A category of need: the eight of *Getting it right*, then the specialist support."""

    HEALTH = "health"
    ACCOMMODATION = "accommodation"
    FAMILY = "family"
    EMPLOYMENT_EDUCATION = "employment_education"
    SUBSTANCE_MISUSE = "substance_misuse"
    FINANCE = "finance"
    OUTLOOK = "outlook"
    SOCIAL = "social"
    INFORMATION_RIGHTS = "information_rights"
    EMOTIONAL_SUPPORT = "emotional_support"
    PRACTICAL_SUPPORT = "practical_support"
    DOMESTIC_ABUSE_ADVOCACY = "domestic_abuse_advocacy"
    SEXUAL_VIOLENCE_ADVOCACY = "sexual_violence_advocacy"
    FORENSIC_MEDICAL = "forensic_medical"
    HOME_SECURITY = "home_security"
    REFUGE = "refuge"
    TRAUMA_COUNSELLING = "trauma_counselling"
    BEREAVEMENT_SUPPORT = "bereavement_support"
    COURT_SUPPORT = "court_support"
    MENTAL_HEALTH_CRISIS = "mental_health_crisis"
    HATE_CRIME_ADVOCACY = "hate_crime_advocacy"
    YOUNG_VICTIM_SUPPORT = "young_victim_support"


class Severity(IntEnum):
    """How much a victim needs help with one need."""

    NONE = 0
    LOW = 1
    MODERATE = 2
    HIGH = 3


class RiskLevel(StrEnum):
    """Risk of serious harm, ordered: ``standard < medium < high``."""

    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, RiskLevel):
            return NotImplemented
        return self.rank >= other.rank


_RISK_RANK: Final = {RiskLevel.STANDARD: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2}


class RiskFlag(StrEnum):
    RISK_FROM_OFFENDER = "risk_from_offender"
    SELF_HARM = "self_harm"
    HARM_TO_OTHERS = "harm_to_others"
    WELLBEING_DETERIORATION = "wellbeing_deterioration"
    REPEAT_VICTIM = "repeat_victim"
    PERSISTENTLY_TARGETED = "persistently_targeted"
    VULNERABLE = "vulnerable"
    INTIMIDATED = "intimidated"
    BEREAVED = "bereaved"


class VictimRole(StrEnum):
    DIRECT = "direct"
    INDIRECT = "indirect"
    WITNESS = "witness"


class Sex(StrEnum):
    """Only for services that lawfully declare single-sex provision."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    NOT_STATED = "not_stated"


class IncidentKind(StrEnum):
    DOMESTIC_ABUSE = "domestic_abuse"
    SEXUAL_VIOLENCE = "sexual_violence"
    STALKING_HARASSMENT = "stalking_harassment"
    HATE_CRIME = "hate_crime"
    HONOUR_BASED_ABUSE = "honour_based_abuse"
    HOMICIDE = "homicide"
    ROAD_TRAFFIC_COLLISION = "road_traffic_collision"
    BURGLARY = "burglary"
    ROBBERY = "robbery"
    VIOLENCE = "violence"
    CRIMINAL_DAMAGE = "criminal_damage"
    FRAUD = "fraud"
    THEFT = "theft"
    VEHICLE_CRIME = "vehicle_crime"
    EXPLOITATION = "exploitation"
    MODERN_SLAVERY = "modern_slavery"
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    OTHER = "other"


class SourceKind(StrEnum):
    """Who sent the referral. ``agency`` referrals enter like police ones (professional)."""

    POLICE = "police"
    AGENCY = "agency"
    SELF = "self"


class CapacityStatus(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class HandoverStatus(StrEnum):
    """FHIR Task-like statuses of one handover (DESIGN.md §5)."""

    PROPOSED = "proposed"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class HandoverMode(StrEnum):
    WARM = "warm"
    """Details shared with the victim's consent."""
    SIGNPOST = "signpost"
    """No consent: the victim is told how to self-refer and no personal data leaves."""


class MaracCriterion(StrEnum):
    SCORE = "score"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"
    ESCALATION = "escalation"
    REPEAT = "repeat"


class Outcome(StrEnum):
    """Cope-and-recover outcome for one need at completion."""

    IMPROVED = "improved"
    SAME = "same"
    WORSE = "worse"


class ContactChannel(StrEnum):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    LETTER = "letter"
    IN_PERSON = "in_person"


class Check(StrEnum):
    """The name of one eligibility or planning check; a failed one is a reason."""

    AGE = "age"
    AREA = "area"
    INCIDENT_KIND = "incident_kind"
    ROLE = "role"
    RISK_LEVEL = "risk_level"
    POLICE_REPORT = "police_report"
    SEX = "sex"
    DAYS_SINCE_INCIDENT = "days_since_incident"
    SEVERITY = "severity"
    SELF_REFERRAL = "self_referral"
    FLAGS = "flags"
    COURT_CASE = "court_case"
    ALTERNATIVES = "alternatives"
    """None of the service's alternative criteria (``any_of``) holds."""
    CAPACITY = "capacity"
    """The service is red: closed to new handovers."""
    REFUSED = "refused"
    """The victim refused this service."""
    DECLINED = "declined"
    """The service declined or let expire a handover for this victim."""
    PATHWAY = "pathway"
    """No declared pathway reaches the service from where the victim is."""


TRANSITIONS: Final[dict[HandoverStatus, frozenset[HandoverStatus]]] = {
    HandoverStatus.PROPOSED: frozenset({HandoverStatus.REQUESTED, HandoverStatus.CANCELLED}),
    HandoverStatus.REQUESTED: frozenset(
        {
            HandoverStatus.ACCEPTED,
            HandoverStatus.DECLINED,
            HandoverStatus.EXPIRED,
            HandoverStatus.CANCELLED,
        }
    ),
    HandoverStatus.ACCEPTED: frozenset({HandoverStatus.IN_PROGRESS, HandoverStatus.CANCELLED}),
    HandoverStatus.IN_PROGRESS: frozenset({HandoverStatus.COMPLETED, HandoverStatus.CANCELLED}),
    HandoverStatus.COMPLETED: frozenset(),
    HandoverStatus.DECLINED: frozenset(),
    HandoverStatus.EXPIRED: frozenset(),
    HandoverStatus.CANCELLED: frozenset(),
}
"""The legal handover transitions (DESIGN.md §5). Anything else is a conflict."""

OPEN_STATUSES: Final = frozenset(
    {
        HandoverStatus.PROPOSED,
        HandoverStatus.REQUESTED,
        HandoverStatus.ACCEPTED,
        HandoverStatus.IN_PROGRESS,
    }
)
"""A handover in one of these is still part of the victim's live plan."""

ENTRY_POLICE: Final = "entry:police"
ENTRY_SELF: Final = "entry:self"
ENTRY_NODES: Final = (ENTRY_POLICE, ENTRY_SELF)

AREA_CODE: Final = re.compile(r"^[EWSN]\d{8}$")
"""The shape of an ONS (GSS) area code, e.g. ``E07000008``."""

CAMBRIDGESHIRE_AND_PETERBOROUGH: Final = {
    "E07000008": "Cambridge",
    "E07000009": "East Cambridgeshire",
    "E07000010": "Fenland",
    "E07000011": "Huntingdonshire",
    "E07000012": "South Cambridgeshire",
    "E06000031": "Peterborough",
}

ENHANCED_INCIDENTS: Final = frozenset(
    {
        IncidentKind.DOMESTIC_ABUSE,
        IncidentKind.SEXUAL_VIOLENCE,
        IncidentKind.HATE_CRIME,
        IncidentKind.HONOUR_BASED_ABUSE,
        IncidentKind.HOMICIDE,
        IncidentKind.MODERN_SLAVERY,
        IncidentKind.EXPLOITATION,
    }
)
"""Incident kinds that give enhanced entitlement under the Victims' Code."""

ENHANCED_FLAGS: Final = frozenset(
    {RiskFlag.VULNERABLE, RiskFlag.INTIMIDATED, RiskFlag.PERSISTENTLY_TARGETED}
)

MARAC_INCIDENTS: Final = frozenset({IncidentKind.DOMESTIC_ABUSE, IncidentKind.HONOUR_BASED_ABUSE})
"""Incident kinds a MARAC (multi-agency risk assessment conference) hears."""


def vocabulary() -> dict[str, list[str] | list[int]]:
    """Every code list, as ``GET /vocabulary`` serves it.

    >>> vocabulary()["risk_levels"]
    ['standard', 'medium', 'high']
    """
    return {
        "needs": [n.value for n in Need],
        "severities": [int(s) for s in Severity],
        "risk_levels": [r.value for r in RiskLevel],
        "risk_flags": [f.value for f in RiskFlag],
        "victim_roles": [r.value for r in VictimRole],
        "sexes": [s.value for s in Sex],
        "incident_kinds": [k.value for k in IncidentKind],
        "source_kinds": [k.value for k in SourceKind],
        "capacity_statuses": [c.value for c in CapacityStatus],
        "handover_statuses": [s.value for s in HandoverStatus],
        "handover_modes": [m.value for m in HandoverMode],
        "marac_criteria": [c.value for c in MaracCriterion],
        "outcomes": [o.value for o in Outcome],
        "contact_channels": [c.value for c in ContactChannel],
        "checks": [c.value for c in Check],
        "entry_nodes": list(ENTRY_NODES),
    }
