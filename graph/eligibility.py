"""Eligibility: may this service take this victim for this need? Every failed check is named.

A fact the referral does not give (no age, sex not stated, no incident date, court case not
known) never excludes a service: the check goes to ``confirm`` instead, so the explanation can say
what to check with the victim.

>>> import datetime as dt
>>> from graph.model import Assessment, Eligibility, Incident, Referral, Service, Victim
>>> from graph.vocabulary import IncidentKind, Need, SourceKind
>>> idva = Service("idva", "p", "IDVA", (Need.DOMESTIC_ABUSE_ADVOCACY,),
...                eligibility=Eligibility(min_age=16, risk_levels=frozenset({RiskLevel.HIGH})))
>>> r = Referral(SourceKind.POLICE, Victim(area="E07000008", age=15),
...              Incident(IncidentKind.DOMESTIC_ABUSE), Assessment(dash_score=3))
>>> ctx = context(r, as_of=dt.date(2026, 11, 26))
>>> [c.value for c in check(idva, ctx, Need.DOMESTIC_ABUSE_ADVOCACY).failed]
['age', 'risk_level']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import Eligibility, Referral, RiskAssessment, Service
from .risk import assess_risk
from .vocabulary import Check, Need, RiskLevel, Severity, Sex


@dataclass(frozen=True, slots=True)
class Context:
    """A referral with what is derived from it once: risk, the date, days since the incident."""

    referral: Referral
    risk: RiskAssessment
    as_of: dt.date
    days_since_incident: int | None

    @property
    def risk_level(self) -> RiskLevel:
        return self.risk.level


def context(referral: Referral, *, as_of: dt.date) -> Context:
    """Derive once what every check needs. ``as_of`` is the day the referral is planned."""
    occurred = referral.incident.occurred_on
    days = (as_of - occurred).days if occurred is not None else None
    return Context(
        referral=referral,
        risk=assess_risk(referral, as_of=as_of),
        as_of=as_of,
        days_since_incident=days,
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of every check of one service for one victim and need."""

    failed: tuple[Check, ...]
    confirm: tuple[Check, ...]
    passed: tuple[Check, ...]

    @property
    def eligible(self) -> bool:
        return not self.failed


def _evaluate(
    e: Eligibility, ctx: Context, need: Need | None, self_referral: bool
) -> tuple[set[Check], set[Check], set[Check]]:
    """Return (failed, confirm, passed) for one eligibility block."""
    failed: set[Check] = set()
    confirm: set[Check] = set()
    passed: set[Check] = set()
    r = ctx.referral
    victim, incident, assessment = r.victim, r.incident, r.assessment

    def verdict(check: Check, ok: bool | None) -> None:
        # ok is None when the referral does not give the fact the check needs.
        if ok is None:
            confirm.add(check)
        elif ok:
            passed.add(check)
        else:
            failed.add(check)

    if e.min_age is not None or e.max_age is not None:
        if victim.age is None:
            verdict(Check.AGE, None)
        else:
            verdict(
                Check.AGE,
                (e.min_age is None or victim.age >= e.min_age)
                and (e.max_age is None or victim.age <= e.max_age),
            )
    if e.areas is not None:
        verdict(Check.AREA, victim.area in e.areas)
    if e.incident_kinds is not None:
        verdict(Check.INCIDENT_KIND, incident.kind in e.incident_kinds)
    if e.victim_roles is not None:
        verdict(Check.ROLE, victim.role in e.victim_roles)
    if e.risk_levels is not None:
        verdict(Check.RISK_LEVEL, ctx.risk.level in e.risk_levels)
    if e.requires_police_report:
        verdict(Check.POLICE_REPORT, incident.reported_to_police)
    if e.sexes is not None:
        if victim.sex is None or victim.sex is Sex.NOT_STATED:
            verdict(Check.SEX, None)
        else:
            verdict(Check.SEX, victim.sex in e.sexes)
    if e.max_days_since_incident is not None:
        days = ctx.days_since_incident
        verdict(Check.DAYS_SINCE_INCIDENT, None if days is None else days <= e.max_days_since_incident)
    if self_referral and e.self_referral is not None:
        verdict(Check.SELF_REFERRAL, e.self_referral)
    if need is not None and (e.min_severity is not None or e.max_severity is not None):
        severity = assessment.severity(need)
        verdict(
            Check.SEVERITY,
            (e.min_severity is None or severity >= e.min_severity)
            and (e.max_severity is None or severity <= e.max_severity),
        )
    if e.flags_any is not None:
        verdict(Check.FLAGS, bool(e.flags_any & assessment.flags))
    if e.requires_court_case:
        verdict(Check.COURT_CASE, incident.going_to_court)

    if e.any_of:
        outcomes = [_evaluate(alt, ctx, need, self_referral) for alt in e.any_of]
        holding = [o for o in outcomes if not o[0]]
        if not holding:
            failed.add(Check.ALTERNATIVES)
        else:
            # The alternative that needs the fewest facts confirmed is the one to explain.
            best = min(holding, key=lambda o: len(o[1]))
            confirm |= best[1]
            passed |= best[2] | ({Check.ALTERNATIVES} if not best[1] else set())
            if best[1]:
                confirm.add(Check.ALTERNATIVES)
    return failed, confirm, passed


_ORDER = {c: i for i, c in enumerate(Check)}


def _ordered(checks: set[Check]) -> tuple[Check, ...]:
    return tuple(sorted(checks, key=_ORDER.__getitem__))


def check(
    service: Service, ctx: Context, need: Need | None = None, *, self_referral: bool = False
) -> Verdict:
    """Every eligibility check of ``service`` for the victim of ``ctx``.

    ``need`` is the need the service would meet: severity bands apply to it. With ``need=None``
    only the checks about the victim apply (may this service work with this person at all?).
    ``self_referral=True`` also checks that the service accepts a victim referring themselves
    straight to it.
    """
    failed, confirm, passed = _evaluate(service.eligibility, ctx, need, self_referral)
    confirm -= failed
    passed -= failed | confirm
    return Verdict(failed=_ordered(failed), confirm=_ordered(confirm), passed=_ordered(passed))


def meets(service: Service, need: Need) -> bool:
    """Does the service list this need at all?"""
    return need in service.needs


def needs_to_meet(ctx: Context) -> tuple[Need, ...]:
    """The needs a plan must cover (severity 1+), most severe first, then by code."""
    needs = ctx.referral.assessment.needs
    return tuple(
        sorted((n for n, s in needs.items() if s >= Severity.LOW), key=lambda n: (-needs[n], n))
    )
