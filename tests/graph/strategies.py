"""Hypothesis strategies for graph/: small generated directories and the victims routed on them.

Everything is built from the frozen dataclasses of ``graph.model`` and is valid by the codec's
rules (``directory_from_dict`` / ``referral_from_dict`` read it back unchanged, which
``test_generated_inputs_are_valid_documents`` checks), so a counterexample is a directory an
admin could really have entered:

- 2–25 services over a few ONS areas, each meeting needs from a small per-directory pool (so
  services compete for the same needs), specialisms ⊆ needs;
- up to three random eligibility rules per service (ages, areas, incident kinds, roles, risk
  levels, sexes, police report, days since the incident, self-referral, severity bands, flags,
  court case), sometimes with ``any_of`` alternatives;
- capacity green, amber or red, fresh, stale or never confirmed relative to ``NOW``;
- pathways from ``entry:police``, from ``entry:self`` (only to services that accept
  self-referral, as the codec demands) and between services, never repeated; not every
  service has an entry pathway, so some are reached only through another (a coordinator);
- victims with unknown facts (no age, sex not stated, no incident date), with and without
  consent, refusing some services, referred by the police, an agency or themselves.

Optional fields draw ``None`` first and rules draw "absent" first, so a shrunk counterexample is
as plain as it can be; ``Scenario`` prints itself in a few lines. Strategies that do not depend
on a draw are built once at import: building them per draw is most of the cost otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from typing import Any

from hypothesis import strategies as st

from graph.model import (
    Assessment,
    Capacity,
    ContactPreferences,
    Directory,
    Eligibility,
    Incident,
    Pathway,
    Referral,
    Service,
    Victim,
)
from graph.plan import local_date
from graph.vocabulary import (
    ENTRY_POLICE,
    ENTRY_SELF,
    CapacityStatus,
    ContactChannel,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Severity,
    Sex,
    SourceKind,
    VictimRole,
)

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
"""The fixed, timezone-aware moment every generated case is planned at."""
TODAY = local_date(NOW)

AREAS = ("E07000008", "E07000011", "E06000031")
"""Areas services name in their eligibility."""
UNNAMED_AREA = "E07000010"
"""An area no service names: only services without an area restriction serve it."""
VICTIM_AREAS = (*AREAS, UNNAMED_AREA)

INCIDENT_KINDS = (
    IncidentKind.DOMESTIC_ABUSE,
    IncidentKind.SEXUAL_VIOLENCE,
    IncidentKind.HONOUR_BASED_ABUSE,
    IncidentKind.HATE_CRIME,
    IncidentKind.BURGLARY,
    IncidentKind.ROAD_TRAFFIC_COLLISION,
    IncidentKind.OTHER,
)
"""A few kinds (MARAC, enhanced and ordinary ones) so services and victims often match."""

ROUTED_NEEDS = (
    Need.EMOTIONAL_SUPPORT,
    Need.DOMESTIC_ABUSE_ADVOCACY,
    Need.SEXUAL_VIOLENCE_ADVOCACY,
    Need.FORENSIC_MEDICAL,
    Need.YOUNG_VICTIM_SUPPORT,
    Need.BEREAVEMENT_SUPPORT,
    Need.MENTAL_HEALTH_CRISIS,
    Need.ACCOMMODATION,
)
"""Needs that lead a case or that the routing rules imply: drawn more often than the rest."""

SAFE_TIMES = ("weekdays 9-12", "after 6pm", "not at weekends")

STALENESS = (
    dt.timedelta(hours=1),
    dt.timedelta(hours=23),
    dt.timedelta(hours=25),
    dt.timedelta(days=9),
    None,
)
"""How long ago capacity was confirmed: fresh, just fresh, just stale, stale, never."""

# --------------------------------------------------------------------------- small pieces


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``None`` (shrinks first) or a value."""
    return st.one_of(st.none(), strategy)


def _subset(values: tuple[Any, ...]) -> st.SearchStrategy[frozenset[Any]]:
    """A non-empty subset. (An empty one would mean "takes nobody"; the codec writes it back
    as "no restriction" — see ``test_an_empty_restriction_survives_a_round_trip``.)"""
    return st.frozensets(st.sampled_from(values), min_size=1)


def _ordered_pair(pair: tuple[Any, Any]) -> tuple[Any, Any]:
    """``(lo, hi)`` with ``lo <= hi`` when both are given (the codec refuses the reverse)."""
    lo, hi = pair
    return (hi, lo) if lo is not None and hi is not None and lo > hi else (lo, hi)


def _days_before_today(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def _one_in(n: int) -> st.SearchStrategy[bool]:
    """True one time in ``n`` (shrinks to False)."""
    return st.integers(0, n - 1).map(lambda i: i == n - 1)


_THREE_IN_FIVE = st.integers(0, 4).map(lambda i: i < 3)
"""True three times in five (shrinks to True)."""

# --------------------------------------------------------------------------- eligibility

_RULE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "age": st.tuples(_maybe(st.integers(0, 120)), _maybe(st.integers(0, 120))).map(_ordered_pair),
    "areas": _subset(AREAS),
    "incident_kinds": _subset(INCIDENT_KINDS),
    "victim_roles": _subset(tuple(VictimRole)),
    "risk_levels": _subset(tuple(RiskLevel)),
    "requires_police_report": st.booleans(),
    "sexes": _subset(tuple(Sex)),
    "max_days_since_incident": st.integers(0, 60),
    "self_referral": st.booleans(),
    "severity": st.tuples(
        _maybe(st.sampled_from(list(Severity))), _maybe(st.sampled_from(list(Severity)))
    ).map(_ordered_pair),
    "flags_any": _subset(tuple(RiskFlag)),
    "requires_court_case": st.booleans(),
}
RULES = tuple(_RULE_VALUES)
"""Eligibility rules a generated service may declare (``any_of`` is drawn separately)."""
_SOME_RULES = st.frozensets(st.sampled_from(RULES), max_size=3)


@st.composite
def eligibilities(draw: st.DrawFn, *, alternatives: bool = True) -> Eligibility:
    """Up to three random rules (none shrinks first); one time in six, 1–2 alternatives."""
    rules = draw(_SOME_RULES)
    value = {name: draw(_RULE_VALUES[name]) for name in RULES if name in rules}
    ages = value.get("age", (None, None))
    severities = value.get("severity", (None, None))
    return Eligibility(
        min_age=ages[0],
        max_age=ages[1],
        areas=value.get("areas"),
        incident_kinds=value.get("incident_kinds"),
        victim_roles=value.get("victim_roles"),
        risk_levels=value.get("risk_levels"),
        requires_police_report=value.get("requires_police_report"),
        sexes=value.get("sexes"),
        max_days_since_incident=value.get("max_days_since_incident"),
        self_referral=value.get("self_referral"),
        min_severity=severities[0],
        max_severity=severities[1],
        flags_any=value.get("flags_any"),
        requires_court_case=value.get("requires_court_case"),
        any_of=tuple(draw(_ALTERNATIVES)) if alternatives and draw(_ONE_IN_SIX) else (),
    )


_ONE_IN_SIX = _one_in(6)
_ALTERNATIVES = st.lists(eligibilities(alternatives=False), min_size=1, max_size=2)
_ELIGIBILITIES = eligibilities()

# --------------------------------------------------------------------------- capacity

_AVAILABLE = {CapacityStatus.GREEN: 10, CapacityStatus.AMBER: 1, CapacityStatus.RED: 0}


def _capacity(status: CapacityStatus, age: dt.timedelta | None) -> Capacity:
    # Only the status and how fresh it is route; the figures just stay plausible.
    return Capacity(
        status=status,
        available=_AVAILABLE[status],
        maximum=20,
        updated=None if age is None else NOW - age,
    )


capacities = st.builds(
    _capacity,
    st.sampled_from([CapacityStatus.GREEN] * 3 + [CapacityStatus.AMBER] * 2 + [CapacityStatus.RED]),
    st.sampled_from(STALENESS),
)
"""Green half the time, amber a third, red a sixth; fresh, stale or never confirmed."""

# --------------------------------------------------------------------------- directories

_NEED_POOLS = st.lists(
    st.sampled_from(ROUTED_NEEDS + tuple(Need)), min_size=2, max_size=6, unique=True
)
pathway_days = st.sampled_from([1.0, 0.0, 0.5, 2.0, 3.0, 7.0, 14.0, 0.25, 30.0, 365.0])
"""Days to first contact along a pathway (the codec allows 0 to 365)."""


@st.composite
def services(draw: st.DrawFn, index: int, pool: tuple[Need, ...]) -> Service:
    sid = f"svc-{index:02d}"
    needs = tuple(draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True)))
    return Service(
        id=sid,
        provider_id=f"provider-{index % 3}",
        name=f"Service {sid}",
        needs=needs,
        specialisms=draw(st.frozensets(st.sampled_from(needs))),
        eligibility=draw(_ELIGIBILITIES),
        capacity=draw(capacities),
    )


@st.composite
def directories(draw: st.DrawFn, *, min_services: int = 2, max_services: int = 25) -> Directory:
    """A small directory: services over ``AREAS`` meeting needs from a 2–6 need pool.

    Sizes lean small (half the examples have at most 10 services, which keeps generation
    quick) but reach ``max_services``.
    """
    pool = tuple(draw(_NEED_POOLS))
    small = min(max_services, max(min_services, 10))
    count = draw(
        st.one_of(st.integers(min_services, small), st.integers(min_services, max_services))
    )
    svcs = [draw(services(i, pool)) for i in range(count)]
    ids = [s.id for s in svcs]
    pathways: list[Pathway] = []
    for s in svcs:
        if draw(_THREE_IN_FIVE):
            pathways.append(Pathway(ENTRY_POLICE, s.id, draw(pathway_days)))
        # The codec refuses entry:self → a service that does not take self-referrals.
        if s.eligibility.accepts_self_referral and draw(_THREE_IN_FIVE):
            pathways.append(Pathway(ENTRY_SELF, s.id, draw(pathway_days)))
    for s in svcs:
        others = [t for t in ids if t != s.id]
        for target in sorted(draw(st.frozensets(st.sampled_from(others), max_size=3))):
            pathways.append(Pathway(s.id, target, draw(pathway_days)))
    return Directory(version="test-1", services=tuple(svcs), pathways=tuple(pathways))


def need_pool(directory: Directory) -> tuple[Need, ...]:
    """The needs some service of ``directory`` meets, in code order."""
    return tuple(sorted({n for s in directory.services for n in s.needs}))


# --------------------------------------------------------------------------- victims

_WANTED = (Severity.LOW, Severity.MODERATE, Severity.HIGH)
_SEVERITIES = st.sampled_from((*_WANTED, Severity.NONE, *_WANTED))
"""Severity 0 (assessed, not wanted) one time in seven."""
_ANY_NEED = st.sampled_from(list(Need))
_RISK_LEVELS = _maybe(st.sampled_from(list(RiskLevel)))
_MOSTLY_HIGH = st.sampled_from([RiskLevel.HIGH, None, RiskLevel.HIGH, RiskLevel.MEDIUM])
_DASH = _maybe(st.integers(0, 24))
_FLAGS = st.frozensets(st.sampled_from(list(RiskFlag)), max_size=3)
_INCIDENTS_LAST_YEAR = _maybe(st.integers(0, 5))
_LAST_MARAC = _maybe(st.integers(0, 500).map(_days_before_today))


@st.composite
def assessments(
    draw: st.DrawFn, pool: tuple[Need, ...], *, high_risk_often: bool = False
) -> Assessment:
    """Needs mostly from ``pool`` (one time in six, one more that may be nobody's), and a
    risk picture that is often high (DASH 14+, the assessor's judgement, a MARAC criterion) —
    more often still with ``high_risk_often``."""
    wanted = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))
    if draw(_ONE_IN_SIX):
        wanted.append(draw(_ANY_NEED))
    return Assessment(
        needs={n: draw(_SEVERITIES) for n in wanted},
        risk_level=draw(_MOSTLY_HIGH if high_risk_often else _RISK_LEVELS),
        dash_score=draw(_DASH),
        flags=draw(_FLAGS),
        incidents_last_12_months=draw(_INCIDENTS_LAST_YEAR),
        last_marac_referral_on=draw(_LAST_MARAC),
    )


_OCCURRED = _maybe(st.integers(0, 60).map(_days_before_today))


@st.composite
def incidents(draw: st.DrawFn) -> Incident:
    occurred = draw(_OCCURRED)
    earliest = occurred or _days_before_today(60)
    reported = draw(
        _maybe(st.integers(0, (TODAY - earliest).days).map(lambda d: earliest + dt.timedelta(d)))
    )
    return Incident(
        kind=draw(st.sampled_from(INCIDENT_KINDS)),
        reported_to_police=draw(st.booleans()),
        occurred_on=occurred,
        reported_on=reported,
        going_to_court=draw(_maybe(st.booleans())),
    )


_CHANNELS = st.frozensets(st.sampled_from(list(ContactChannel)), max_size=2)
_AGES = _maybe(st.integers(0, 100))
_SEXES = _maybe(st.sampled_from(list(Sex)))
_SAFE_TIMES = _maybe(st.sampled_from(SAFE_TIMES))


@st.composite
def victims(draw: st.DrawFn, directory: Directory, *, consent: bool | None = None) -> Victim:
    ids = [s.id for s in directory.services]
    return Victim(
        area=draw(st.sampled_from(VICTIM_AREAS)),
        role=draw(st.sampled_from(list(VictimRole))),
        age=draw(_AGES),
        sex=draw(_SEXES),
        consent_to_share=draw(st.booleans()) if consent is None else consent,
        refused_services=draw(
            st.frozensets(st.sampled_from([*ids, "no-such-service"]), max_size=2)
        ),
        contact=ContactPreferences(
            channels=tuple(sorted(draw(_CHANNELS))),
            safe_times=draw(_SAFE_TIMES),
            do_not_contact=draw(st.booleans()),
        ),
    )


@st.composite
def referrals(
    draw: st.DrawFn,
    directory: Directory,
    *,
    consent: bool | None = None,
    high_risk_often: bool = False,
) -> Referral:
    return Referral(
        source=draw(st.sampled_from(list(SourceKind))),
        victim=draw(victims(directory, consent=consent)),
        incident=draw(incidents()),
        assessment=draw(assessments(need_pool(directory), high_risk_often=high_risk_often)),
    )


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Scenario:
    """A directory and one victim referred to it."""

    directory: Directory
    referral: Referral

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # Hypothesis prints counterexamples with this: a few lines instead of a few hundred.
        p.text(describe(self))


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    consent: bool | None = None,
    min_services: int = 2,
    max_services: int = 25,
    high_risk_often: bool = False,
) -> Scenario:
    directory = draw(directories(min_services=min_services, max_services=max_services))
    return Scenario(
        directory,
        draw(referrals(directory, consent=consent, high_risk_often=high_risk_often)),
    )


def _fields(obj: Any) -> str:
    """``name=value`` for each field that differs from its default, compactly."""
    parts = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.default is not MISSING and value == f.default:
            continue
        if f.name == "any_of":
            parts.append("any_of=[" + " | ".join(_fields(a) or "anyone" for a in value) + "]")
            continue
        if f.name == "needs" and isinstance(value, Mapping):
            value = {n.value: int(sev) for n, sev in value.items()}
        elif isinstance(value, frozenset | tuple):
            value = sorted(v.value if isinstance(v, Enum) else v for v in value)
        elif isinstance(value, Enum):
            value = value.value
        elif isinstance(value, dt.datetime):
            value = f"NOW-{NOW - value}"
        elif isinstance(value, dt.date):
            value = f"TODAY-{(TODAY - value).days}d"
        parts.append(f"{f.name}={value}")
    return ", ".join(parts)


def describe(scn: Scenario) -> str:
    """A scenario in a few readable lines (only what differs from the defaults)."""
    lines = ["Scenario("]
    for s in scn.directory.services:
        needs = ",".join(n.value + ("*" if n in s.specialisms else "") for n in s.needs)
        cap = s.capacity
        updated = "never" if cap.updated is None else f"NOW-{NOW - cap.updated}"
        lines.append(
            f"  {s.id}: needs {needs} | {_fields(s.eligibility) or 'anyone'} | "
            f"{cap.status.value}, confirmed {updated}"
        )
    lines.append(
        "  pathways: "
        + ", ".join(f"{p.from_node}->{p.to_service}({p.days:g})" for p in scn.directory.pathways)
    )
    r = scn.referral
    lines.append(f"  source: {r.source.value}")
    lines.append(f"  victim: {_fields(r.victim)}")
    lines.append(f"  incident: {_fields(r.incident)}")
    lines.append(f"  assessment: {_fields(r.assessment)}")
    lines.append(")  (* = specialism)")
    return "\n".join(lines)


# --------------------------------------------------------------------------- API bodies


def referral_to_body(referral: Referral, *, reference: str | None = None) -> dict[str, Any]:
    """The ``POST /referrals`` body (API.md) that ``referral_from_dict`` reads back as
    ``referral``; ``reference`` is the referrer's own case reference (personal data)."""
    v, i, a = referral.victim, referral.incident, referral.assessment
    source: dict[str, Any] = {"kind": referral.source.value}
    if reference is not None:
        source["reference"] = reference
    contact: dict[str, Any] = {
        "channels": [c.value for c in v.contact.channels],
        "do_not_contact": v.contact.do_not_contact,
    }
    if v.contact.safe_times is not None:
        contact["safe_times"] = v.contact.safe_times
    victim: dict[str, Any] = {
        "area": v.area,
        "role": v.role.value,
        "consent_to_share": v.consent_to_share,
        "refused_services": sorted(v.refused_services),
        "contact": contact,
    }
    if v.age is not None:
        victim["age"] = v.age
    if v.sex is not None:
        victim["sex"] = v.sex.value
    incident: dict[str, Any] = {"kind": i.kind.value, "reported_to_police": i.reported_to_police}
    if i.occurred_on is not None:
        incident["occurred_on"] = i.occurred_on.isoformat()
    if i.reported_on is not None:
        incident["reported_on"] = i.reported_on.isoformat()
    if i.going_to_court is not None:
        incident["going_to_court"] = i.going_to_court
    assessment: dict[str, Any] = {
        "needs": {n.value: int(s) for n, s in a.needs.items()},
        "flags": sorted(f.value for f in a.flags),
    }
    if a.risk_level is not None:
        assessment["risk_level"] = a.risk_level.value
    if a.dash_score is not None:
        assessment["dash_score"] = a.dash_score
    if a.incidents_last_12_months is not None:
        assessment["incidents_last_12_months"] = a.incidents_last_12_months
    if a.last_marac_referral_on is not None:
        assessment["last_marac_referral_on"] = a.last_marac_referral_on.isoformat()
    return {"source": source, "victim": victim, "incident": incident, "assessment": assessment}
