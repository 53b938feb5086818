"""Risk level, enhanced entitlement and the MARAC decision, derived from an assessment.

>>> from graph.model import Assessment, Incident, Referral, Victim
>>> from graph.vocabulary import IncidentKind, SourceKind
>>> r = Referral(SourceKind.POLICE, Victim(area="E07000008", age=34),
...              Incident(IncidentKind.DOMESTIC_ABUSE), Assessment(dash_score=16))
>>> risk = assess_risk(r, as_of=dt.date(2026, 11, 21))
>>> (risk.level.value, risk.enhanced, risk.marac.criterion.value)
('high', True, 'score')
"""

from __future__ import annotations

import datetime as dt

from .model import Marac, Referral, RiskAssessment
from .vocabulary import (
    ENHANCED_FLAGS,
    ENHANCED_INCIDENTS,
    MARAC_INCIDENTS,
    MaracCriterion,
    RiskLevel,
)

ESCALATION_INCIDENTS = 3
"""Incidents in the last 12 months that make domestic abuse high risk (escalation)."""


def level_from_dash(score: int) -> RiskLevel:
    """The risk level a DASH score (0–24 "yes" answers) gives on its own.

    >>> [level_from_dash(s).value for s in (9, 10, 13, 14)]
    ['standard', 'medium', 'medium', 'high']
    """
    if not 0 <= score <= 24:
        raise ValueError(f"a DASH score is 0 to 24, not {score}")
    if score >= 14:
        return RiskLevel.HIGH
    if score >= 10:
        return RiskLevel.MEDIUM
    return RiskLevel.STANDARD


def _within_12_months(earlier: dt.date, later: dt.date) -> bool:
    try:
        year_after = earlier.replace(year=earlier.year + 1)
    except ValueError:  # 29 February
        year_after = earlier.replace(year=earlier.year + 1, day=28)
    return earlier <= later <= year_after


def assess_risk(referral: Referral, *, as_of: dt.date) -> RiskAssessment:
    """Derive the risk level, enhanced entitlement and the MARAC decision.

    The DASH score sets a floor; the assessor's level may raise it, never lower it. For domestic
    and honour-based abuse, 3+ incidents in 12 months (escalation) or a new incident within 12
    months of a MARAC referral (repeat) make the risk high; high risk makes a MARAC referral due,
    naming the first criterion that applies (score, professional judgement, escalation, repeat).
    """
    a = referral.assessment
    incident = referral.incident
    notes: list[str] = []

    score_level = level_from_dash(a.dash_score) if a.dash_score is not None else None
    level = score_level or RiskLevel.STANDARD
    judged = a.risk_level
    raised_by_judgement = False
    if judged is not None:
        if judged > level:
            level = judged
            raised_by_judgement = True
        elif score_level is not None and judged < score_level:
            notes.append(
                f"the assessor's level '{judged.value}' is below what the DASH score says "
                f"('{score_level.value}'); judgement may raise a level, never lower it"
            )

    criteria: list[MaracCriterion] = []
    if incident.kind in MARAC_INCIDENTS:
        if score_level is RiskLevel.HIGH:
            criteria.append(MaracCriterion.SCORE)
        if raised_by_judgement and level is RiskLevel.HIGH:
            criteria.append(MaracCriterion.PROFESSIONAL_JUDGEMENT)
        if (a.incidents_last_12_months or 0) >= ESCALATION_INCIDENTS:
            criteria.append(MaracCriterion.ESCALATION)
        new_incident_on = incident.occurred_on or incident.reported_on or as_of
        if a.last_marac_referral_on is not None and _within_12_months(
            a.last_marac_referral_on, new_incident_on
        ):
            criteria.append(MaracCriterion.REPEAT)
        if criteria and level is not RiskLevel.HIGH:
            notes.append(f"risk raised to high by MARAC criterion '{criteria[0].value}'")
            level = RiskLevel.HIGH

    marac = Marac(criterion=criteria[0], criteria=tuple(criteria)) if criteria else None

    reasons: list[str] = []
    age = referral.victim.age
    if age is not None and age < 18:
        reasons.append("under 18")
    for flag in sorted(ENHANCED_FLAGS & a.flags):
        reasons.append(f"flag: {flag.value}")
    if incident.kind in ENHANCED_INCIDENTS:
        reasons.append(f"incident: {incident.kind.value}")

    return RiskAssessment(
        level=level,
        score_level=score_level,
        enhanced=bool(reasons),
        enhanced_reasons=tuple(reasons),
        marac=marac,
        notes=tuple(notes),
    )
