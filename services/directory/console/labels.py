"""Plain words for the vocabulary's codes, for people rather than programs."""

from __future__ import annotations

import datetime as dt

from graph.vocabulary import (
    CAMBRIDGESHIRE_AND_PETERBOROUGH,
    LANGUAGE_NAMES,
    AccessNeed,
    CapacityStatus,
    Check,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Sex,
    SourceKind,
    VictimRole,
)

NEEDS: dict[str, str] = {
    Need.HEALTH: "Health",
    Need.ACCOMMODATION: "Accommodation",
    Need.FAMILY: "Family",
    Need.EMPLOYMENT_EDUCATION: "Employment and education",
    Need.SUBSTANCE_MISUSE: "Drugs and alcohol",
    Need.FINANCE: "Finance and benefits",
    Need.OUTLOOK: "Attitudes and outlook",
    Need.SOCIAL: "Social interaction",
    Need.INFORMATION_RIGHTS: "Information and rights",
    Need.EMOTIONAL_SUPPORT: "Emotional support",
    Need.PRACTICAL_SUPPORT: "Practical support",
    Need.DOMESTIC_ABUSE_ADVOCACY: "Domestic abuse advocacy (IDVA)",
    Need.SEXUAL_VIOLENCE_ADVOCACY: "Sexual violence advocacy (ISVA)",
    Need.FORENSIC_MEDICAL: "Forensic medical care (SARC)",
    Need.HOME_SECURITY: "Home security",
    Need.REFUGE: "Refuge",
    Need.TRAUMA_COUNSELLING: "Trauma counselling",
    Need.BEREAVEMENT_SUPPORT: "Bereavement support",
    Need.COURT_SUPPORT: "Court support",
    Need.MENTAL_HEALTH_CRISIS: "Mental health crisis",
    Need.HATE_CRIME_ADVOCACY: "Hate crime advocacy",
    Need.YOUNG_VICTIM_SUPPORT: "Young victim support",
}

AREAS: dict[str, str] = dict(CAMBRIDGESHIRE_AND_PETERBOROUGH)

INCIDENT_KINDS: dict[str, str] = {
    IncidentKind.DOMESTIC_ABUSE: "Domestic abuse",
    IncidentKind.SEXUAL_VIOLENCE: "Sexual violence",
    IncidentKind.STALKING_HARASSMENT: "Stalking and harassment",
    IncidentKind.HATE_CRIME: "Hate crime",
    IncidentKind.HONOUR_BASED_ABUSE: "Honour-based abuse",
    IncidentKind.HOMICIDE: "Homicide",
    IncidentKind.ROAD_TRAFFIC_COLLISION: "Road traffic collision",
    IncidentKind.BURGLARY: "Burglary",
    IncidentKind.ROBBERY: "Robbery",
    IncidentKind.VIOLENCE: "Violence",
    IncidentKind.CRIMINAL_DAMAGE: "Criminal damage",
    IncidentKind.FRAUD: "Fraud",
    IncidentKind.THEFT: "Theft",
    IncidentKind.VEHICLE_CRIME: "Vehicle crime",
    IncidentKind.EXPLOITATION: "Exploitation",
    IncidentKind.MODERN_SLAVERY: "Modern slavery",
    IncidentKind.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    IncidentKind.OTHER: "Other",
}

ROLES: dict[str, str] = {
    VictimRole.DIRECT: "Direct victim",
    VictimRole.INDIRECT: "Indirect victim (family, close friends)",
    VictimRole.WITNESS: "Witness",
}

RISK_LEVELS: dict[str, str] = {
    RiskLevel.STANDARD: "Standard",
    RiskLevel.MEDIUM: "Medium",
    RiskLevel.HIGH: "High",
}

SEXES: dict[str, str] = {
    Sex.FEMALE: "Female",
    Sex.MALE: "Male",
    Sex.OTHER: "Other",
    Sex.NOT_STATED: "Not stated",
}

FLAGS: dict[str, str] = {
    RiskFlag.RISK_FROM_OFFENDER: "Risk from the offender",
    RiskFlag.SELF_HARM: "Self-harm",
    RiskFlag.HARM_TO_OTHERS: "Harm to others (e.g. dependants)",
    RiskFlag.WELLBEING_DETERIORATION: "Wellbeing deteriorating",
    RiskFlag.REPEAT_VICTIM: "Repeat victim",
    RiskFlag.PERSISTENTLY_TARGETED: "Persistently targeted",
    RiskFlag.VULNERABLE: "Vulnerable",
    RiskFlag.INTIMIDATED: "Intimidated",
    RiskFlag.BEREAVED: "Bereaved",
}

SOURCES: dict[str, str] = {
    SourceKind.POLICE: "Police",
    SourceKind.AGENCY: "Another agency",
    SourceKind.SELF: "Self-referral",
}

CAPACITY: dict[str, str] = {
    CapacityStatus.GREEN: "Green: open",
    CapacityStatus.AMBER: "Amber: waiting list",
    CapacityStatus.RED: "Red: closed",
}

ACCESS: dict[str, str] = {
    AccessNeed.STEP_FREE_ACCESS: "Step-free access",
    AccessNeed.HEARING_LOOP: "Hearing loop",
    AccessNeed.TEXT_RELAY: "Text or Relay UK contact",
    AccessNeed.EASY_READ: "Easy Read",
    AccessNeed.LARGE_PRINT: "Large print and other formats",
    AccessNeed.HOME_VISITS: "Home visits",
    AccessNeed.REMOTE_SUPPORT: "Support by phone or video",
    AccessNeed.SAME_SEX_WORKER: "A worker of the same sex",
}

LANGUAGES: dict[str, str] = dict(LANGUAGE_NAMES)
"""Names of the common languages, by tag; any other tag is shown as it is."""

SEVERITIES: dict[int, str] = {0: "0 none", 1: "1 low", 2: "2 moderate", 3: "3 high"}

CHECKS: dict[str, str] = {
    Check.AGE: "age",
    Check.AREA: "area",
    Check.INCIDENT_KIND: "kind of incident",
    Check.ROLE: "victim role",
    Check.RISK_LEVEL: "risk level",
    Check.POLICE_REPORT: "police report",
    Check.SEX: "single-sex provision",
    Check.DAYS_SINCE_INCIDENT: "time since the incident",
    Check.SEVERITY: "severity of need",
    Check.SELF_REFERRAL: "self-referral",
    Check.FLAGS: "risk flags",
    Check.COURT_CASE: "court case",
    Check.ALTERNATIVES: "alternative criteria",
    Check.CAPACITY: "capacity",
    Check.REFUSED: "the victim's refusals",
    Check.DECLINED: "earlier declines",
    Check.PATHWAY: "a pathway to it",
    Check.LANGUAGE: "language",
    Check.INTERPRETER: "an interpreter",
    Check.ACCESS: "access needs",
}
"""The name of each check, as passed or failed ("fails: age")."""

ENTRY_NODES: dict[str, str] = {"entry:police": "Police referral", "entry:self": "Self-referral"}


def word(table: dict[str, str], code: object) -> str:
    """The plain words for ``code`` in ``table``; the code itself, tidied, when it has none."""
    text = str(code)
    return table.get(text, text.replace("_", " "))


def ago(when: dt.datetime | None, now: dt.datetime) -> str:
    """How long ago ``when`` was, in rough words ("never" when it is None)."""
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 90:
        return "just now"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours ago"
    return f"{hours // 24} days ago"
