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
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from .model import Eligibility, ImpliedNeed, Referral, RiskAssessment, Service
from .risk import assess_risk
from .vocabulary import (
    MARAC_INCIDENTS,
    Check,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Severity,
    Sex,
    VictimRole,
)


@dataclass(frozen=True, slots=True)
class Context:
    """A referral with what is derived from it once: risk, the date, days since the incident,
    and the needs to meet (the assessment's, plus those the rules imply)."""

    referral: Referral
    risk: RiskAssessment
    as_of: dt.date
    days_since_incident: int | None
    needs: Mapping[Need, Severity]
    implied: tuple[ImpliedNeed, ...]
    needs_at_least: tuple[int, int, int, int] = (0, 0, 0, 0)
    """Bit ``needs_at_least[s]`` of a need (``_NEED_BITS``) is set when the victim's need of it
    is severity ``s`` or more: what the severity checks of ``CandidateRules`` ask of every
    need's candidates, worked out once per referral."""

    @property
    def risk_level(self) -> RiskLevel:
        return self.risk.level

    def severity(self, need: Need) -> Severity:
        return self.needs.get(need, Severity.NONE)


ACUTE_SEXUAL_VIOLENCE_DAYS = 7
"""Forensic medical care is offered within this many days of a sexual assault."""


def implied_needs(
    referral: Referral, risk: RiskAssessment, days_since_incident: int | None
) -> tuple[ImpliedNeed, ...]:
    """Needs the routing rules call for even when the assessment leaves them out.

    A need the assessment names (even at severity 0: the victim does not want it) is never
    overridden; one it leaves out is added when:

    - domestic or honour-based abuse at high risk: ``domestic_abuse_advocacy`` 3 (an IDVA leads);
    - sexual violence: ``sexual_violence_advocacy`` 2, and within 7 days ``forensic_medical`` 3;
    - homicide, for the bereaved (indirect victims or the ``bereaved`` flag), and a road
      collision with the ``bereaved`` flag: ``bereavement_support`` 2;
    - a victim under 18: ``young_victim_support`` 1 (the young victims service takes part).

    >>> import datetime as dt
    >>> from graph.model import Assessment, Incident, Victim
    >>> from graph.vocabulary import IncidentKind, SourceKind
    >>> r = Referral(SourceKind.POLICE, Victim(area="E07000008", age=15),
    ...              Incident(IncidentKind.SEXUAL_VIOLENCE), Assessment())
    >>> [(i.need.value, int(i.severity)) for i in context(r, as_of=dt.date(2026, 1, 1)).implied]
    [('sexual_violence_advocacy', 2), ('young_victim_support', 1)]
    """
    given = referral.assessment.needs
    kind = referral.incident.kind
    victim = referral.victim
    flags = referral.assessment.flags
    out: list[ImpliedNeed] = []

    def add(need: Need, severity: Severity, reason: str) -> None:
        if need not in given:
            out.append(ImpliedNeed(need, severity, reason))

    if kind in MARAC_INCIDENTS and risk.level is RiskLevel.HIGH:
        add(Need.DOMESTIC_ABUSE_ADVOCACY, Severity.HIGH, "high-risk domestic abuse: an IDVA leads")
    if kind is IncidentKind.SEXUAL_VIOLENCE:
        add(Need.SEXUAL_VIOLENCE_ADVOCACY, Severity.MODERATE, "sexual violence: an ISVA supports")
        if days_since_incident is not None and days_since_incident <= ACUTE_SEXUAL_VIOLENCE_DAYS:
            add(Need.FORENSIC_MEDICAL, Severity.HIGH, "sexual violence within 7 days: the SARC")
    bereaved = RiskFlag.BEREAVED in flags
    if (kind is IncidentKind.HOMICIDE and (bereaved or victim.role is VictimRole.INDIRECT)) or (
        kind is IncidentKind.ROAD_TRAFFIC_COLLISION and bereaved
    ):
        add(Need.BEREAVEMENT_SUPPORT, Severity.MODERATE, "bereaved by the incident")
    if victim.age is not None and victim.age < 18:
        add(Need.YOUNG_VICTIM_SUPPORT, Severity.LOW, "under 18: the young victims service")
    return tuple(sorted(out, key=lambda i: i.need))


def context(referral: Referral, *, as_of: dt.date) -> Context:
    """Derive once what every check needs. ``as_of`` is the day the referral is planned."""
    occurred = referral.incident.occurred_on
    days = (as_of - occurred).days if occurred is not None else None
    risk = assess_risk(referral, as_of=as_of)
    implied = implied_needs(referral, risk, days)
    needs = dict(referral.assessment.needs)
    needs.update({i.need: i.severity for i in implied})
    at_least = [0, 0, 0, 0]
    for n, severity in needs.items():
        for level in range(1, severity + 1):
            at_least[level] |= _NEED_BITS[n]
    return Context(
        referral=referral,
        risk=risk,
        as_of=as_of,
        days_since_incident=days,
        needs=MappingProxyType(dict(sorted(needs.items()))),
        implied=implied,
        needs_at_least=(at_least[0], at_least[1], at_least[2], at_least[3]),
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


_BIT = {c: 1 << i for i, c in enumerate(Check)}
_ALTERNATIVES = _BIT[Check.ALTERNATIVES]


def _evaluate(
    e: Eligibility,
    ctx: Context,
    service_needs: tuple[Need, ...],
    need: Need | None,
    self_referral: bool,
) -> tuple[int, int, int]:
    """Return (failed, confirm, passed) for one eligibility block, each a set of checks as bits
    (``_BIT``: the planner runs this for every candidate, so it allocates nothing per check).

    ``CandidateRules`` applies the same rules to many services at once: a rule changed or
    added here must be changed or added there too (tests/graph/test_candidate_rules.py).

    Severity bands: ``min_severity`` is about the victim (some need the service meets is at
    least that severe: "for moderate or high needs"), so it applies with or without ``need``;
    ``max_severity`` is about each need the service would take ("low needs only").
    """
    failed = confirm = passed = 0
    r = ctx.referral
    victim, incident = r.victim, r.incident

    # Each check: None when the referral does not give the fact it needs (confirm), else
    # whether it passed.
    if e.min_age is not None or e.max_age is not None:
        bit = _BIT[Check.AGE]
        if victim.age is None:
            confirm |= bit
        elif (e.min_age is None or victim.age >= e.min_age) and (
            e.max_age is None or victim.age <= e.max_age
        ):
            passed |= bit
        else:
            failed |= bit
    if e.areas is not None:
        if victim.area in e.areas:
            passed |= _BIT[Check.AREA]
        else:
            failed |= _BIT[Check.AREA]
    if e.incident_kinds is not None:
        if incident.kind in e.incident_kinds:
            passed |= _BIT[Check.INCIDENT_KIND]
        else:
            failed |= _BIT[Check.INCIDENT_KIND]
    if e.victim_roles is not None:
        if victim.role in e.victim_roles:
            passed |= _BIT[Check.ROLE]
        else:
            failed |= _BIT[Check.ROLE]
    if e.risk_levels is not None:
        if ctx.risk.level in e.risk_levels:
            passed |= _BIT[Check.RISK_LEVEL]
        else:
            failed |= _BIT[Check.RISK_LEVEL]
    if e.requires_police_report:
        if incident.reported_to_police:
            passed |= _BIT[Check.POLICE_REPORT]
        else:
            failed |= _BIT[Check.POLICE_REPORT]
    if e.sexes is not None:
        bit = _BIT[Check.SEX]
        if victim.sex is None or victim.sex is Sex.NOT_STATED:
            confirm |= bit
        elif victim.sex in e.sexes:
            passed |= bit
        else:
            failed |= bit
    if e.max_days_since_incident is not None:
        bit = _BIT[Check.DAYS_SINCE_INCIDENT]
        days = ctx.days_since_incident
        if days is None:
            confirm |= bit
        elif days <= e.max_days_since_incident:
            passed |= bit
        else:
            failed |= bit
    if self_referral and e.self_referral is not None:
        if e.self_referral:
            passed |= _BIT[Check.SELF_REFERRAL]
        else:
            failed |= _BIT[Check.SELF_REFERRAL]
    if e.min_severity is not None or (need is not None and e.max_severity is not None):
        top = max((ctx.severity(n) for n in service_needs), default=Severity.NONE)
        if (e.min_severity is None or top >= e.min_severity) and (
            e.max_severity is None or need is None or ctx.severity(need) <= e.max_severity
        ):
            passed |= _BIT[Check.SEVERITY]
        else:
            failed |= _BIT[Check.SEVERITY]
    if e.flags_any is not None:
        if e.flags_any & r.assessment.flags:
            passed |= _BIT[Check.FLAGS]
        else:
            failed |= _BIT[Check.FLAGS]
    if e.requires_court_case:
        bit = _BIT[Check.COURT_CASE]
        if incident.going_to_court is None:
            confirm |= bit
        elif incident.going_to_court:
            passed |= bit
        else:
            failed |= bit

    if e.any_of:
        outcomes = [_evaluate(alt, ctx, service_needs, need, self_referral) for alt in e.any_of]
        holding = [o for o in outcomes if not o[0]]
        if not holding:
            failed |= _ALTERNATIVES
        else:
            # The alternative that needs the fewest facts confirmed is the one to explain.
            best = min(holding, key=lambda o: o[1].bit_count())
            confirm |= best[1]
            passed |= best[2] | (_ALTERNATIVES if not best[1] else 0)
            if best[1]:
                confirm |= _ALTERNATIVES
    return failed, confirm, passed


@functools.cache
def _ordered(bits: int) -> tuple[Check, ...]:
    """The checks of a bit set, in the order of ``Check``."""
    return tuple(c for c, bit in _BIT.items() if bits & bit)


CHECK_BITS: Mapping[Check, int] = MappingProxyType(_BIT)
"""Each check as one bit, so that a set of checks is an int (``checks_of`` reads one back)."""


def checks_of(bits: int) -> tuple[Check, ...]:
    """The checks of a set of ``CHECK_BITS``, in the order of ``Check`` (no check twice).

    >>> checks_of(CHECK_BITS[Check.SEX] | CHECK_BITS[Check.AGE])
    (<Check.AGE: 'age'>, <Check.SEX: 'sex'>)
    """
    return _ordered(bits)


# The rules of ``CandidateRules`` that depend on one fact about the victim, kept per value.
_AGE, _AREA, _KIND, _ROLE, _RISK, _SEX = range(6)
_NEED_BITS = {n: 1 << i for i, n in enumerate(Need)}
_VALUE_CHECKS = (
    _BIT[Check.AGE],
    _BIT[Check.AREA],
    _BIT[Check.INCIDENT_KIND],
    _BIT[Check.ROLE],
    _BIT[Check.RISK_LEVEL],
    _BIT[Check.SEX],
)


class CandidateRules:
    """The eligibility rules of a list of services, all candidates for one need, grouped by rule
    so that the candidates a victim fails are found a rule at a time, not a service at a time.

    A list of a national directory's candidates holds hundreds of services but few distinct
    rules (age bands, sets of incident kinds…). ``failed`` gives, for each check, the set of
    candidates failing it as a bit mask (bit ``i`` is ``services[i]``), exactly as ``check``
    with this need (and no self-referral) would fail it; with ``need=None``, as ``check`` with
    no need (the checks about the victim alone) would. Masks that depend on one fact of the
    victim (age, area, incident kind, role, risk level, sex) are kept per value, so after the
    first victims of each kind a call is a few look-ups. Safe to share between threads: the
    per-value masks only ever gain entries, each computed the same way by any thread.

    >>> import datetime as dt
    >>> from graph.model import Assessment, Incident, Victim
    >>> from graph.vocabulary import SourceKind
    >>> need = Need.EMOTIONAL_SUPPORT
    >>> adults = Service("a", "p", "A", (need,), eligibility=Eligibility(min_age=18))
    >>> rules = CandidateRules((adults, Service("b", "p", "B", (need,))), need)
    >>> r = Referral(SourceKind.POLICE, Victim(area="E07000008", age=15),
    ...              Incident(IncidentKind.THEFT), Assessment())
    >>> ctx = context(r, as_of=dt.date(2026, 1, 1))
    >>> [(checks_of(bit), mask) for bit, mask in rules.failed(ctx)]
    [((<Check.AGE: 'age'>,), 1)]
    """

    __slots__ = (
        "_ages",
        "_alternatives",
        "_court",
        "_days",
        "_dims",
        "_flags",
        "_max_severity",
        "_memo",
        "_min_severity",
        "_police",
        "_values",
        "need",
    )

    def __init__(self, services: Sequence[Service], need: Need | None) -> None:
        self.need = need
        ages: dict[tuple[int | None, int | None], int] = {}
        values: tuple[dict[frozenset[object], int], ...] = tuple({} for _ in _VALUE_CHECKS)
        days: dict[int, int] = {}
        flags: dict[frozenset[RiskFlag], int] = {}
        max_severity: dict[Severity, int] = {}
        min_severity: dict[tuple[Severity, int], int] = {}
        alternatives: dict[tuple[tuple[Eligibility, ...], tuple[Need, ...]], int] = {}
        police = court = 0

        def add(groups: dict[frozenset[object], int], rule: frozenset[object], bit: int) -> None:
            groups[rule] = groups.get(rule, 0) | bit

        for pos, service in enumerate(services):
            bit = 1 << pos
            e = service.eligibility
            if e.min_age is not None or e.max_age is not None:
                band = (e.min_age, e.max_age)
                ages[band] = ages.get(band, 0) | bit
            if e.areas is not None:
                add(values[_AREA], e.areas, bit)
            if e.incident_kinds is not None:
                add(values[_KIND], e.incident_kinds, bit)
            if e.victim_roles is not None:
                add(values[_ROLE], e.victim_roles, bit)
            if e.risk_levels is not None:
                add(values[_RISK], e.risk_levels, bit)
            if e.requires_police_report:
                police |= bit
            if e.sexes is not None:
                add(values[_SEX], e.sexes, bit)
            if e.max_days_since_incident is not None:
                days[e.max_days_since_incident] = days.get(e.max_days_since_incident, 0) | bit
            if e.max_severity is not None and need is not None:
                max_severity[e.max_severity] = max_severity.get(e.max_severity, 0) | bit
            if e.min_severity is not None and e.min_severity > Severity.NONE:
                # Passed when some need the service meets is at least this severe.
                wanted = 0
                for n in service.needs:
                    wanted |= _NEED_BITS[n]
                key = (e.min_severity, wanted)
                min_severity[key] = min_severity.get(key, 0) | bit
            if e.flags_any is not None:
                flags[e.flags_any] = flags.get(e.flags_any, 0) | bit
            if e.requires_court_case:
                court |= bit
            if e.any_of:
                alt = (e.any_of, service.needs)
                alternatives[alt] = alternatives.get(alt, 0) | bit
        self._ages = ages
        self._values = values
        self._dims = tuple(
            dim for dim, groups in enumerate(values) if groups or (dim == _AGE and ages)
        )
        self._memo: tuple[dict[object, int], ...] = tuple({} for _ in _VALUE_CHECKS)
        self._police = police
        self._court = court
        self._days = tuple(days.items())
        self._flags = tuple(flags.items())
        self._max_severity = tuple(max_severity.items())
        self._min_severity = tuple(
            (least, needs, group) for (least, needs), group in min_severity.items()
        )
        self._alternatives = tuple(alternatives.items())

    def failed(self, ctx: Context) -> list[tuple[int, int]]:
        """``(check bit, candidates failing it)`` for each check some candidate fails."""
        r = ctx.referral
        victim, incident = r.victim, r.incident
        out: list[tuple[int, int]] = []
        if self._dims:
            facts = (
                victim.age,
                victim.area,
                incident.kind,
                victim.role,
                ctx.risk.level,
                victim.sex,
            )
            for dim in self._dims:
                memo = self._memo[dim]
                value = facts[dim]
                mask = memo.get(value)
                if mask is None:
                    mask = memo[value] = self._failing(dim, value)
                if mask:
                    out.append((_VALUE_CHECKS[dim], mask))
        if self._police and not incident.reported_to_police:
            out.append((_BIT[Check.POLICE_REPORT], self._police))
        days = ctx.days_since_incident
        if self._days and days is not None:
            mask = 0
            for most, group in self._days:
                if days > most:
                    mask |= group
            if mask:
                out.append((_BIT[Check.DAYS_SINCE_INCIDENT], mask))
        if self._max_severity or self._min_severity:
            mask = 0
            own = ctx.needs.get(self.need, Severity.NONE) if self.need is not None else 0
            for most, group in self._max_severity:
                if own > most:
                    mask |= group
            if self._min_severity:
                at_least = ctx.needs_at_least
                for least, served, group in self._min_severity:
                    if not served & at_least[least]:
                        mask |= group
            if mask:
                out.append((_BIT[Check.SEVERITY], mask))
        if self._flags:
            mask = 0
            given = r.assessment.flags
            for wanted, group in self._flags:
                if not wanted & given:
                    mask |= group
            if mask:
                out.append((_BIT[Check.FLAGS], mask))
        if self._court and incident.going_to_court is not None and not incident.going_to_court:
            out.append((_BIT[Check.COURT_CASE], self._court))
        if self._alternatives:
            mask = 0
            for (alternatives, needs), group in self._alternatives:
                if all(_evaluate(alt, ctx, needs, self.need, False)[0] for alt in alternatives):
                    mask |= group
            if mask:
                out.append((_ALTERNATIVES, mask))
        return out

    def _failing(self, dim: int, value: object) -> int:
        """The candidates failing the rule of ``dim`` for a victim whose fact is ``value``
        (the rule's branch of ``_evaluate``)."""
        mask = 0
        if dim == _AGE:
            if not isinstance(value, int):
                return 0  # not given: to confirm, never failed
            for (least, most), group in self._ages.items():
                if (least is not None and value < least) or (most is not None and value > most):
                    mask |= group
            return mask
        if dim == _SEX and (value is None or value is Sex.NOT_STATED):
            return 0  # not given: to confirm, never failed
        for allowed, group in self._values[dim].items():
            if value not in allowed:
                mask |= group
        return mask


def check(
    service: Service, ctx: Context, need: Need | None = None, *, self_referral: bool = False
) -> Verdict:
    """Every eligibility check of ``service`` for the victim of ``ctx``.

    ``need`` is the need the service would meet: a maximum severity applies to it. With
    ``need=None`` only the checks about the victim apply (may this service work with this
    person at all?).
    ``self_referral=True`` also checks that the service accepts a victim referring themselves
    straight to it.
    """
    failed, confirm, passed = _evaluate(
        service.eligibility, ctx, service.needs, need, self_referral
    )
    confirm &= ~failed
    passed &= ~(failed | confirm)
    return Verdict(failed=_ordered(failed), confirm=_ordered(confirm), passed=_ordered(passed))


def meets(service: Service, need: Need) -> bool:
    """Does the service list this need at all?"""
    return need in service.needs


def needs_to_meet(ctx: Context) -> tuple[Need, ...]:
    """The needs a plan must cover (severity 1+, implied ones included), most severe first."""
    needs = ctx.needs
    return tuple(
        sorted((n for n, s in needs.items() if s >= Severity.LOW), key=lambda n: (-needs[n], n))
    )
