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


class AccessNeed(StrEnum):
    """What a victim needs in order to use a service, and what a service offers to meet it.

    The same codes describe both sides: a victim's ``access_needs`` and a service's ``access``.
    They are the reasonable adjustments UK victim services are most often asked for (Equality
    Act 2010, s. 20; the Victims' Code right to be understood). Language is not here: a victim's
    preferred language is a language tag, and sign languages are languages too (British Sign
    Language is ``bfi``), met by a service that signs or arranges an interpreter.
    ``ACCESS_NEEDS`` says what each code means.

    >>> ACCESS_NEEDS[AccessNeed("hearing_loop")]
    'An induction loop where the victim is seen, for hearing aid users.'
    """

    STEP_FREE_ACCESS = "step_free_access"
    HEARING_LOOP = "hearing_loop"
    TEXT_RELAY = "text_relay"
    EASY_READ = "easy_read"
    LARGE_PRINT = "large_print"
    HOME_VISITS = "home_visits"
    REMOTE_SUPPORT = "remote_support"
    SAME_SEX_WORKER = "same_sex_worker"


ACCESS_NEEDS: Final[dict[AccessNeed, str]] = {
    AccessNeed.STEP_FREE_ACCESS: "Premises without steps, for wheelchair users and people with "
    "limited mobility.",
    AccessNeed.HEARING_LOOP: "An induction loop where the victim is seen, for hearing aid users.",
    AccessNeed.TEXT_RELAY: "Contact by text or through Relay UK instead of voice calls, for deaf, "
    "hard-of-hearing or speech-impaired people.",
    AccessNeed.EASY_READ: "Easy Read letters and materials, for people with a learning disability.",
    AccessNeed.LARGE_PRINT: "Large print or other accessible formats (audio, braille), for people "
    "with sight loss.",
    AccessNeed.HOME_VISITS: "Meets the victim at home or at a safe place of their choosing, for "
    "people who cannot travel.",
    AccessNeed.REMOTE_SUPPORT: "Support entirely by phone or video, for people who cannot or "
    "will not be seen in person.",
    AccessNeed.SAME_SEX_WORKER: "A worker of the same sex as the victim, often asked for after "
    "sexual or domestic abuse.",
}
"""What each access code means, in plain English (the API documents and the export use it)."""


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
    LANGUAGE = "language"
    """The service does not declare the victim's language, or declares no languages at all."""
    INTERPRETER = "interpreter"
    """The victim needs an interpreter, and the service is to arrange one."""
    ACCESS = "access"
    """The victim has an access need the service does not declare: arrange or confirm it."""


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

LANGUAGE_TAG: Final = re.compile(
    r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|\d{3}))?(?:-(?:[a-z0-9]{5,8}|\d[a-z0-9]{3}))*$"
)
"""A language tag (BCP 47) in its canonical case: an ISO 639 primary language of 2 or 3 letters
(``en``, ``pl``, ``bfi`` for British Sign Language), then optionally a script (``pa-Guru``), a
region (``pt-BR``) and variants. ``language_tag`` reads any case into this one."""

LANGUAGE_TAG_ANY_CASE: Final = (
    r"^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$"
)
"""What ``language_tag`` accepts (any case), as a pattern for API documents."""

MAX_LANGUAGE_TAG = 35

LANGUAGE_NAMES: Final = {
    "ar": "Arabic",
    "bfi": "British Sign Language",
    "bg": "Bulgarian",
    "bn": "Bengali",
    "cs": "Czech",
    "cy": "Welsh",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fr": "French",
    "gu": "Gujarati",
    "hi": "Hindi",
    "hu": "Hungarian",
    "it": "Italian",
    "ku": "Kurdish",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "pa": "Punjabi",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "so": "Somali",
    "sq": "Albanian",
    "ta": "Tamil",
    "ti": "Tigrinya",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "yue": "Cantonese",
    "zh": "Chinese",
}
"""English names of the languages most asked for in the East of England (by primary subtag).
Not a list of allowed languages: any well-formed tag is accepted."""


def language_tag(value: str) -> str:
    """``value`` as a BCP 47 language tag in canonical case; ValueError when it is not one.

    >>> language_tag("PT-br")
    'pt-BR'
    >>> language_tag("pa-guru")
    'pa-Guru'
    >>> language_tag("BFI")
    'bfi'
    """
    # fullmatch: ``$`` alone would let a trailing newline through.
    if len(value) > MAX_LANGUAGE_TAG or not re.fullmatch(LANGUAGE_TAG_ANY_CASE, value):
        raise ValueError(
            f"must be a language tag (BCP 47) such as en, pl, pt-BR or bfi, not {value!r}"
        )
    head, *rest = value.split("-")
    parts = [head.lower()]
    for part in rest:
        if len(part) == 4 and part.isalpha():
            parts.append(part.title())  # script
        elif len(part) == 2 or (len(part) == 3 and part.isdigit()):
            parts.append(part.upper())  # region
        else:
            parts.append(part.lower())
    tag = "-".join(parts)
    if not LANGUAGE_TAG.fullmatch(tag):  # pragma: no cover - the pattern above admits only these
        raise ValueError(f"must be a language tag (BCP 47), not {value!r}")
    return tag


def primary_language(tag: str) -> str:
    """The language a tag names, without script, region or variant: ``pt-BR`` → ``pt``.

    >>> primary_language("pa-Guru-IN")
    'pa'
    """
    return tag.split("-", 1)[0].lower()


def language_name(tag: str) -> str | None:
    """The English name of a tag's language, where the small table knows it.

    >>> language_name("pl"), language_name("pt-BR"), language_name("xyz")
    ('Polish', 'Portuguese', None)
    """
    return LANGUAGE_NAMES.get(primary_language(tag))


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
        "access_needs": [a.value for a in AccessNeed],
        "entry_nodes": list(ENTRY_NODES),
    }
