"""Replay a year of referrals through a directory and see where capacity runs out.

``simulate`` is a seeded discrete-event model. Referrals arrive day by day; each is planned with
``make_plan`` on a graph whose capacity reflects the simulated caseloads; every handover is
accepted after a response delay, holds a place for a support duration, then ends and frees the
place. It reports, per service, the demand, the peak caseload against ``capacity.maximum``, the
weeks at red and the needs left unmet for want of room, and per need what nothing could meet.

Calibration (volumes per 365 days at ``scale=1``; DESIGN.md §1, the strategy's 2012/13 figures):

- 31,503 recorded victims a year, about a third of whom accept a referral to triage: 10,500
  triage referrals, of which 1,229 want more than an email (``more`` stream) and the other
  9,271 want only information (``email``: adults, ``information_rights`` of low severity, held
  1–3 days).
- The specialist services (IDVAs, ISVAs, the Bobby Scheme, refuges, the SARC) "each support a
  few hundred a year", mostly on referrals that do not pass through the triage offer. Streams
  of their own, each named after what brings the victim: ``high_risk_domestic_abuse`` 400 (DASH
  14+, police and MARAC; 12 % of them need a refuge), ``sexual_violence`` 300 (35 % within 7
  days of the assault, so the SARC too; 35 % self-referrals), ``home_security`` 300 (older
  victims of burglary, theft, fraud, criminal damage and anti-social behaviour referred to the
  Bobby Scheme), ``road_collision`` 60 and ``homicide_bereaved`` 20 (about eight homicides a
  year, two or three relatives each).
- Areas are drawn by population (mid-2012: Cambridge 124k, East Cambridgeshire 84k, Fenland
  96k, Huntingdonshire 171k, South Cambridgeshire 152k, Peterborough 186k).
- Incident kinds, ages, sexes, needs and risk follow the shape of ``bench/synth.py``'s
  referral generator (police-recorded victim-based crime, specialist kinds over-represented).
- Daily arrivals are Poisson with the stream's daily mean; the arrival time is uniform over
  08:00–18:00 UTC.

Provider behaviour:

- Triage referrals (``email`` and ``more``) go to the hub, ``victim-support-triage``, first.
  Once it accepts, an email-only referral stays with it 1–3 days and goes no further; any other
  is planned from there (``make_plan`` with the hub as the current lead), so onward handovers
  start when triage has assessed the victim. The specialist streams are planned at once from
  where they enter (police, agency or self-referral).
- Capacity snapshot: every morning each service with a ``maximum`` reports its caseload plus the
  handovers it has been sent but not yet answered: at ``maximum`` it is red, from 80 % amber,
  else green (``updated`` that morning, so never stale). Services without a ``maximum`` stay
  green. The graph is rebuilt from that snapshot each day (about a millisecond).
- A handover is answered after a delay uniform between 10 % and 100 % of the service's
  ``response_hours``. A service already at ``maximum`` then declines it, and the victim is
  re-planned at once without that service (as the router re-routes a declined handover), at
  most ``MAX_REPLANS`` times; needs nothing else can meet are left unmet.
- Support lasts a duration drawn uniformly from the range for the service's main need
  (``DURATION_DAYS``: e.g. triage 1–3 weeks, IDVA 8–12 weeks, ISVA 16–40 weeks, refuge 8–20
  weeks, SARC 1–7 days). A service that only passes the victim on (a coordinator) and every
  service of an email-only referral holds the case 1–3 days.
- The services start empty, so by default ``warmup_days`` (52 weeks, as long as the longest
  support) are simulated first and left out of every figure: the reported year starts with
  the caseloads a running service has.

Everything is drawn from ``random.Random(seed)`` in a fixed order: the same directory and
seed give the same result.

>>> import datetime as dt
>>> from graph.codec import load_directory
>>> r = simulate(load_directory(), seed=1, year_start=dt.date(2026, 1, 5), days=14,
...              scale=0.05, warmup_days=0)
>>> r.referrals == r.with_handovers + r.with_unmet - r.with_both and r.with_neither == 0
True
>>> simulate(load_directory(), seed=1, year_start=dt.date(2026, 1, 5), days=14,
...          scale=0.05, warmup_days=0) == r
True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .build import PathwayGraph, build_graph
from .model import (
    Assessment,
    Capacity,
    CurrentHandover,
    Directory,
    Incident,
    Plan,
    Referral,
    Service,
    Victim,
)
from .plan import make_plan
from .vocabulary import (
    ENTRY_POLICE,
    CapacityStatus,
    Check,
    HandoverStatus,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Severity,
    Sex,
    SourceKind,
    VictimRole,
)

VICTIMS_PER_YEAR = 31_503
TRIAGE_REFERRALS = 10_500
"""About a third of the recorded victims accepted a referral to triage."""
MORE_THAN_EMAIL = 1_229

STREAMS: Mapping[str, float] = {
    "email": TRIAGE_REFERRALS - MORE_THAN_EMAIL,
    "more": MORE_THAN_EMAIL,
    "high_risk_domestic_abuse": 400,
    "sexual_violence": 300,
    "home_security": 300,
    "road_collision": 60,
    "homicide_bereaved": 20,
}
"""Referrals a year (365 days) per arrival stream, at ``scale=1``."""

AREA_POPULATION: Mapping[str, int] = {
    "E07000008": 124_000,
    "E07000009": 84_000,
    "E07000010": 96_000,
    "E07000011": 171_000,
    "E07000012": 152_000,
    "E06000031": 186_000,
}
"""Mid-2012 population of Cambridgeshire's five districts and Peterborough."""

HUB = "victim-support-triage"
"""The service the triage referrals are sent to (when the directory has it)."""
HUB_STREAMS = frozenset({"email", "more"})

AMBER_SHARE = 0.8
"""A service whose caseload reaches this share of its maximum goes amber."""
MAX_REPLANS = 3
"""How many times one referral is re-planned after declined handovers."""
SHORT_DAYS = (1.0, 3.0)
"""How long a coordinator, or any service of an email-only referral, holds the case."""

DURATION_DAYS: Mapping[Need, tuple[float, float]] = {
    Need.INFORMATION_RIGHTS: (7, 21),  # triage: contact, assessment, information
    Need.EMOTIONAL_SUPPORT: (42, 70),  # enhanced / older victims' support
    Need.HOME_SECURITY: (7, 21),  # a visit and the fitting
    Need.DOMESTIC_ABUSE_ADVOCACY: (56, 84),  # IDVA: through the crisis and MARAC
    Need.SEXUAL_VIOLENCE_ADVOCACY: (112, 280),  # ISVA: often through a trial
    Need.REFUGE: (56, 140),  # a refuge stay
    Need.FORENSIC_MEDICAL: (1, 7),  # SARC: acute care and follow-up
    Need.BEREAVEMENT_SUPPORT: (91, 365),
    Need.COURT_SUPPORT: (14, 56),
    Need.YOUNG_VICTIM_SUPPORT: (42, 84),
    Need.HATE_CRIME_ADVOCACY: (42, 84),
    Need.HEALTH: (42, 84),  # a course of psychological therapy
    Need.MENTAL_HEALTH_CRISIS: (3, 21),
    Need.SUBSTANCE_MISUSE: (84, 168),
    Need.FINANCE: (14, 42),
    Need.ACCOMMODATION: (14, 56),
    Need.SOCIAL: (7, 28),
}
"""Support duration (days, uniform) by the service's main need (``needs[0]``)."""
DEFAULT_DURATION = (28.0, 56.0)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ServiceReport:
    """One service over the reported period.

    ``requested`` is the demand that reached it (handovers sent to it for referrals of the
    period); ``accepted`` and ``declined`` are its answers to those (the rest were still
    unanswered at the end). ``turned_away`` counts referrals for
    which it was an eligible candidate but closed (red). ``unmet`` counts, per need, referrals
    left with that need unmet although this service would have met it had it not been full.
    ``weekly_caseload`` is the peak caseload of each week.
    """

    service_id: str
    name: str
    maximum: int | None
    requested: int
    accepted: int
    declined: int
    completed: int
    turned_away: int
    peak_caseload: int
    end_caseload: int
    weeks_red: int
    weeks_amber: int
    weekly_caseload: tuple[int, ...]
    unmet: tuple[tuple[Need, int], ...]

    @property
    def verdict(self) -> str:
        """Whether the capacity looks plausible, in a few words."""
        if self.maximum is None:
            return "no maximum declared: cannot judge"
        weeks = len(self.weekly_caseload)
        if self.weeks_red:
            share = "all year" if self.weeks_red >= weeks else f"for {self.weeks_red} weeks"
            return f"too small: red {share}"
        if self.weeks_amber:
            return f"tight: amber for {self.weeks_amber} weeks, never red"
        if self.peak_caseload * 4 < self.maximum:
            return f"idle: peak under a quarter of its {self.maximum} places"
        return "plausible: never amber"


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What ``simulate`` found. Counts cover the reported period only (not the warm-up)."""

    directory_version: str
    seed: int
    year_start: dt.date
    days: int
    scale: float
    referrals: int
    by_stream: tuple[tuple[str, int], ...]
    with_handovers: int
    """Referrals whose plan had at least one handover."""
    with_unmet: int
    """Referrals left with at least one need unmet."""
    with_both: int
    with_neither: int
    """Referrals with neither a handover nor an unmet need (always 0: a conservation check)."""
    replans: int
    unmet: tuple[tuple[Need, int], ...]
    """Per need, the referrals left with it unmet (for any reason)."""
    services: tuple[ServiceReport, ...]

    def service(self, service_id: str) -> ServiceReport:
        for s in self.services:
            if s.service_id == service_id:
                return s
        raise KeyError(service_id)


# --------------------------------------------------------------------------- arrivals

_KINDS: Mapping[IncidentKind, float] = {
    IncidentKind.VIOLENCE: 24,
    IncidentKind.DOMESTIC_ABUSE: 16,
    IncidentKind.THEFT: 10,
    IncidentKind.BURGLARY: 8,
    IncidentKind.CRIMINAL_DAMAGE: 8,
    IncidentKind.FRAUD: 6,
    IncidentKind.ANTI_SOCIAL_BEHAVIOUR: 5,
    IncidentKind.SEXUAL_VIOLENCE: 5,
    IncidentKind.STALKING_HARASSMENT: 5,
    IncidentKind.VEHICLE_CRIME: 3,
    IncidentKind.HATE_CRIME: 3,
    IncidentKind.ROBBERY: 2,
    IncidentKind.ROAD_TRAFFIC_COLLISION: 1.5,
    IncidentKind.EXPLOITATION: 1,
    IncidentKind.HONOUR_BASED_ABUSE: 0.5,
    IncidentKind.MODERN_SLAVERY: 0.5,
    IncidentKind.OTHER: 1,
}
"""Incident mix of the triage streams (homicide has a stream of its own)."""

_KIND_NEEDS: Mapping[IncidentKind, tuple[tuple[Need, float], ...]] = {
    IncidentKind.DOMESTIC_ABUSE: (
        (Need.DOMESTIC_ABUSE_ADVOCACY, 0.7),
        (Need.ACCOMMODATION, 0.2),
        (Need.HOME_SECURITY, 0.3),
        (Need.FAMILY, 0.2),
        (Need.FINANCE, 0.15),
    ),
    IncidentKind.SEXUAL_VIOLENCE: (
        (Need.SEXUAL_VIOLENCE_ADVOCACY, 0.9),
        (Need.TRAUMA_COUNSELLING, 0.4),
    ),
    IncidentKind.STALKING_HARASSMENT: ((Need.INFORMATION_RIGHTS, 0.5),),
    IncidentKind.HATE_CRIME: ((Need.HATE_CRIME_ADVOCACY, 0.8),),
    IncidentKind.ROAD_TRAFFIC_COLLISION: ((Need.PRACTICAL_SUPPORT, 0.6),),
    IncidentKind.BURGLARY: ((Need.HOME_SECURITY, 0.6),),
    IncidentKind.FRAUD: ((Need.FINANCE, 0.6),),
}
_COMMON_NEEDS: tuple[tuple[Need, float], ...] = (
    (Need.EMOTIONAL_SUPPORT, 0.6),
    (Need.INFORMATION_RIGHTS, 0.4),
    (Need.PRACTICAL_SUPPORT, 0.3),
    (Need.HEALTH, 0.1),
    (Need.SUBSTANCE_MISUSE, 0.05),
    (Need.OUTLOOK, 0.1),
    (Need.SOCIAL, 0.1),
    (Need.EMPLOYMENT_EDUCATION, 0.05),
)
_ABUSE = frozenset(
    {IncidentKind.DOMESTIC_ABUSE, IncidentKind.HONOUR_BASED_ABUSE, IncidentKind.STALKING_HARASSMENT}
)


@dataclass(frozen=True, slots=True)
class _Arrival:
    stream: str
    referral: Referral
    email_only: bool

    @property
    def via_hub(self) -> bool:
        return self.stream in HUB_STREAMS


class _Generator:
    """Draws the referrals of each stream; one ``random.Random`` shared with the model."""

    def __init__(self, rng: random.Random, areas: Mapping[str, float]) -> None:
        self.rng = rng
        self.areas = sorted(areas)
        self.area_weights = [areas[a] for a in self.areas]
        self.kinds = list(_KINDS)
        self.kind_weights = list(_KINDS.values())

    def area(self) -> str:
        return self.rng.choices(self.areas, self.area_weights)[0]

    def sex(self, female: float) -> Sex:
        r = self.rng.random()
        if r < female:
            return Sex.FEMALE
        return Sex.MALE if r < 0.97 else Sex.NOT_STATED

    def severity(self) -> Severity:
        return self.rng.choices((Severity.LOW, Severity.MODERATE, Severity.HIGH), (3, 5, 2))[0]

    def draw_needs(
        self, table: Sequence[tuple[Need, float]], needs: dict[Need, Severity]
    ) -> dict[Need, Severity]:
        for need, p in table:
            if self.rng.random() < p and need not in needs:
                needs[need] = self.severity()
        return needs

    def referral(
        self,
        today: dt.date,
        *,
        kind: IncidentKind,
        age: int,
        sex: Sex,
        needs: Mapping[Need, Severity],
        source: SourceKind = SourceKind.POLICE,
        role: VictimRole = VictimRole.DIRECT,
        days_ago: int | None = None,
        dash: int | None = None,
        flags: frozenset[RiskFlag] = frozenset(),
        risk: RiskLevel | None = None,
    ) -> Referral:
        rng = self.rng
        ago = days_ago if days_ago is not None else rng.choice((0, 1, 2, 5, 10, 30))
        occurred = today - dt.timedelta(days=ago)
        reported = source is not SourceKind.SELF or rng.random() < 0.3
        return Referral(
            source=source,
            victim=Victim(
                area=self.area(),
                role=role,
                age=age,
                sex=sex,
                consent_to_share=rng.random() < 0.95,
            ),
            incident=Incident(
                kind=kind,
                reported_to_police=reported,
                occurred_on=occurred,
                reported_on=occurred if reported else None,
            ),
            assessment=Assessment(needs=needs, risk_level=risk, dash_score=dash, flags=flags),
        )

    def draw(self, stream: str, today: dt.date) -> _Arrival:
        rng = self.rng
        if stream == "email":
            kind = rng.choices(self.kinds, self.kind_weights)[0]
            r = self.referral(
                today,
                kind=kind,
                age=rng.randint(18, 90),
                sex=self.sex(0.5),
                needs={Need.INFORMATION_RIGHTS: Severity.LOW},
            )
            return _Arrival(stream, r, email_only=True)
        if stream == "more":
            return _Arrival(stream, self._more(today), email_only=False)
        if stream == "high_risk_domestic_abuse":
            needs = {Need.DOMESTIC_ABUSE_ADVOCACY: Severity.HIGH}
            sex = self.sex(0.9)
            if sex is Sex.FEMALE and rng.random() < 0.12 / 0.9:
                needs[Need.REFUGE] = Severity.HIGH
            self.draw_needs(
                (
                    (Need.ACCOMMODATION, 0.2),
                    (Need.HOME_SECURITY, 0.3),
                    (Need.EMOTIONAL_SUPPORT, 0.4),
                    (Need.FAMILY, 0.2),
                    (Need.COURT_SUPPORT, 0.15),
                    (Need.FINANCE, 0.15),
                    (Need.SUBSTANCE_MISUSE, 0.08),
                ),
                needs,
            )
            flags = {RiskFlag.RISK_FROM_OFFENDER}
            if rng.random() < 0.05:
                flags.add(RiskFlag.SELF_HARM)
                needs[Need.MENTAL_HEALTH_CRISIS] = Severity.HIGH
            r = self.referral(
                today,
                kind=IncidentKind.DOMESTIC_ABUSE,
                age=rng.randint(16, 70),
                sex=sex,
                needs=needs,
                source=rng.choices((SourceKind.POLICE, SourceKind.AGENCY), (85, 15))[0],
                dash=rng.randint(14, 24),
                flags=frozenset(flags),
                days_ago=rng.choice((0, 0, 1, 2, 5)),
            )
            return _Arrival(stream, r, email_only=False)
        if stream == "sexual_violence":
            acute = rng.random() < 0.35
            needs = {Need.SEXUAL_VIOLENCE_ADVOCACY: Severity.HIGH}
            if acute:
                needs[Need.FORENSIC_MEDICAL] = Severity.HIGH
            self.draw_needs(
                (
                    (Need.TRAUMA_COUNSELLING, 0.4),
                    (Need.HEALTH, 0.2),
                    (Need.EMOTIONAL_SUPPORT, 0.4),
                    (Need.COURT_SUPPORT, 0.2),
                ),
                needs,
            )
            r = self.referral(
                today,
                kind=IncidentKind.SEXUAL_VIOLENCE,
                age=rng.randint(13, 17) if rng.random() < 0.15 else rng.randint(18, 70),
                sex=self.sex(0.85),
                needs=needs,
                source=rng.choices(
                    (SourceKind.POLICE, SourceKind.SELF, SourceKind.AGENCY), (50, 35, 15)
                )[0],
                days_ago=rng.randint(0, 6) if acute else rng.randint(8, 3000),
            )
            return _Arrival(stream, r, email_only=False)
        if stream == "home_security":
            kind = rng.choices(
                (
                    IncidentKind.BURGLARY,
                    IncidentKind.THEFT,
                    IncidentKind.FRAUD,
                    IncidentKind.CRIMINAL_DAMAGE,
                    IncidentKind.ANTI_SOCIAL_BEHAVIOUR,
                ),
                (60, 10, 10, 10, 10),
            )[0]
            needs = {Need.HOME_SECURITY: rng.choice((Severity.MODERATE, Severity.HIGH))}
            self.draw_needs(((Need.EMOTIONAL_SUPPORT, 0.3),), needs)
            r = self.referral(
                today, kind=kind, age=rng.randint(60, 95), sex=self.sex(0.55), needs=needs
            )
            return _Arrival(stream, r, email_only=False)
        if stream == "road_collision":
            bereaved = rng.random() < 0.3
            needs = self.draw_needs(
                ((Need.PRACTICAL_SUPPORT, 0.6), (Need.EMOTIONAL_SUPPORT, 0.6)), {}
            )
            if bereaved or not needs:
                needs[Need.BEREAVEMENT_SUPPORT] = Severity.HIGH
            r = self.referral(
                today,
                kind=IncidentKind.ROAD_TRAFFIC_COLLISION,
                age=rng.randint(16, 85),
                sex=self.sex(0.5),
                needs=needs,
                role=VictimRole.INDIRECT if bereaved else VictimRole.DIRECT,
                flags=frozenset({RiskFlag.BEREAVED}) if bereaved else frozenset(),
            )
            return _Arrival(stream, r, email_only=False)
        if stream == "homicide_bereaved":
            needs = {Need.BEREAVEMENT_SUPPORT: Severity.HIGH}
            self.draw_needs(
                (
                    (Need.COURT_SUPPORT, 0.6),
                    (Need.PRACTICAL_SUPPORT, 0.5),
                    (Need.INFORMATION_RIGHTS, 0.5),
                    (Need.FINANCE, 0.2),
                ),
                needs,
            )
            r = self.referral(
                today,
                kind=IncidentKind.HOMICIDE,
                age=rng.randint(16, 85),
                sex=self.sex(0.5),
                needs=needs,
                role=VictimRole.INDIRECT,
                flags=frozenset({RiskFlag.BEREAVED}),
            )
            return _Arrival(stream, r, email_only=False)
        raise ValueError(f"unknown stream {stream!r}")

    def _more(self, today: dt.date) -> Referral:
        """A triage referral wanting more than an email: needs by incident kind."""
        rng = self.rng
        kind = rng.choices(self.kinds, self.kind_weights)[0]
        needs = self.draw_needs((*_KIND_NEEDS.get(kind, ()), *_COMMON_NEEDS), {})
        if not needs or max(needs.values()) < Severity.MODERATE:
            needs[Need.EMOTIONAL_SUPPORT] = Severity.MODERATE
        dash: int | None = None
        flags: set[RiskFlag] = set()
        risk: RiskLevel | None = None
        if kind in _ABUSE:
            # The high-risk ones come through their own stream (police and MARAC).
            dash = rng.randint(0, 13)
        elif rng.random() < 0.1:
            risk = RiskLevel.MEDIUM
        if rng.random() < 0.03:
            flags.add(RiskFlag.SELF_HARM)
            needs[Need.MENTAL_HEALTH_CRISIS] = Severity.HIGH
        child = rng.random() < 0.12
        return self.referral(
            today,
            kind=kind,
            age=rng.randint(8, 17) if child else rng.randint(18, 90),
            sex=self.sex(0.5),
            needs=needs,
            source=rng.choices(
                (SourceKind.POLICE, SourceKind.AGENCY, SourceKind.SELF), (80, 10, 10)
            )[0],
            dash=dash,
            flags=frozenset(flags),
            risk=risk,
        )


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (means here are at most a few dozen a day)."""
    if mean <= 0:
        return 0
    limit = math.exp(-mean)
    k = 0
    p = rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# --------------------------------------------------------------------------- the model


@dataclass(slots=True)
class _Handover:
    case: _Case
    service_id: str
    from_node: str
    needs: tuple[Need, ...]
    coordinator: bool
    status: HandoverStatus = HandoverStatus.REQUESTED
    hub: bool = False


@dataclass(slots=True)
class _Case:
    referral: Referral
    email_only: bool
    counted: bool
    handovers: list[_Handover]
    unmet: set[Need]
    replans: int = 0


@dataclass(slots=True)
class _Tally:
    requested: int = 0
    accepted: int = 0
    declined: int = 0
    completed: int = 0
    turned_away: int = 0
    peak: int = 0
    red_weeks: set[int] = dataclasses.field(default_factory=set)
    amber_weeks: set[int] = dataclasses.field(default_factory=set)
    unmet: dict[Need, int] = dataclasses.field(default_factory=dict)


_ANSWER = 0
_END = 1


class _Model:
    def __init__(
        self,
        directory: Directory,
        *,
        rng: random.Random,
        start: dt.datetime,
        weeks: int,
        report_from: dt.datetime,
    ) -> None:
        self.directory = directory
        self.rng = rng
        self.start = start
        self.report_from = report_from
        self.weeks = weeks
        self.counted: list[_Case] = []
        self.services = {s.id: s for s in directory.services}
        self.caseload = dict.fromkeys(self.services, 0)
        self.pending = dict.fromkeys(self.services, 0)
        self.tally = {sid: _Tally() for sid in self.services}
        self.weekly = {sid: [0] * weeks for sid in self.services}
        self.status: dict[str, CapacityStatus] = {}
        self.events: list[tuple[dt.datetime, int, int, _Handover]] = []
        self.seq = 0
        self.graph: PathwayGraph = build_graph(directory)
        hub = self.services.get(HUB)
        self.hub = hub.id if hub is not None else None
        self.hub_need = hub.needs[0] if hub is not None else Need.INFORMATION_RIGHTS
        self.unmet: dict[Need, int] = {}
        self.replans = 0
        self.now = start

    def week(self, when: dt.datetime) -> int | None:
        if when < self.report_from:
            return None
        w = (when - self.report_from).days // 7
        return w if w < self.weeks else None

    # ----------------------------------------------------------------- capacity

    def snapshot(self, morning: dt.datetime) -> None:
        """Rebuild the graph with each service's capacity as its provider reports it today."""
        services: list[Service] = []
        week = self.week(morning)
        for s in self.directory.services:
            maximum = s.capacity.maximum
            if maximum is None:
                status = CapacityStatus.GREEN
                available = None
            else:
                held = self.caseload[s.id] + self.pending[s.id]
                status = (
                    CapacityStatus.RED
                    if held >= maximum
                    else CapacityStatus.AMBER
                    if held >= AMBER_SHARE * maximum
                    else CapacityStatus.GREEN
                )
                available = max(0, maximum - held)
            self.status[s.id] = status
            if week is not None:
                if status is CapacityStatus.RED:
                    self.tally[s.id].red_weeks.add(week)
                elif status is CapacityStatus.AMBER:
                    self.tally[s.id].amber_weeks.add(week)
            capacity = Capacity(
                status=status, available=available, maximum=maximum, updated=morning
            )
            services.append(dataclasses.replace(s, capacity=capacity))
        self.graph = build_graph(dataclasses.replace(self.directory, services=tuple(services)))

    def observe(self, sid: str, when: dt.datetime) -> None:
        load = self.caseload[sid]
        week = self.week(when)
        if week is not None:
            t = self.tally[sid]
            t.peak = max(t.peak, load)
            self.weekly[sid][week] = max(self.weekly[sid][week], load)

    # ----------------------------------------------------------------- events

    def push(self, when: dt.datetime, kind: int, handover: _Handover) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, kind, handover))

    def run_until(self, until: dt.datetime) -> None:
        while self.events and self.events[0][0] < until:
            when, _, kind, h = heapq.heappop(self.events)
            self.now = when
            if kind == _ANSWER:
                self.answer(h, when)
            else:
                self.end(h, when)

    def arrive(self, arrival: _Arrival, when: dt.datetime) -> None:
        self.run_until(when)
        self.now = when
        case = _Case(
            referral=arrival.referral,
            email_only=arrival.email_only,
            counted=when >= self.report_from,
            handovers=[],
            unmet=set(),
        )
        if case.counted:
            self.counted.append(case)
        if arrival.via_hub and self.hub is not None:
            self.request(case, self.hub, ENTRY_POLICE, (self.hub_need,), when, hub=True)
            return
        plan = make_plan(self.graph, case.referral, now=when)
        self.apply(case, plan, when)

    def request(
        self,
        case: _Case,
        sid: str,
        from_node: str,
        needs: tuple[Need, ...],
        when: dt.datetime,
        *,
        hub: bool = False,
    ) -> None:
        h = _Handover(
            case=case,
            service_id=sid,
            from_node=from_node,
            needs=needs,
            coordinator=not needs,
            hub=hub,
        )
        case.handovers.append(h)
        self.pending[sid] += 1
        if case.counted:
            self.tally[sid].requested += 1
        hours = self.services[sid].response_hours
        delay = dt.timedelta(hours=hours * self.rng.uniform(0.1, 1.0))
        self.push(when + delay, _ANSWER, h)

    def apply(self, case: _Case, plan: Plan, when: dt.datetime) -> None:
        open_ids = {
            h.service_id
            for h in case.handovers
            if h.status
            in (HandoverStatus.REQUESTED, HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS)
        }
        full: set[str] = set()
        for ph in plan.handovers:
            for r in ph.explanation.rejected:
                if r.failed == (Check.CAPACITY,):
                    full.add(r.service_id)
        for u in plan.unmet:
            for r in u.reasons:
                if r.failed == (Check.CAPACITY,):
                    full.add(r.service_id)
                    if case.counted and u.need not in case.unmet:
                        unmet = self.tally[r.service_id].unmet
                        unmet[u.need] = unmet.get(u.need, 0) + 1
            if case.counted and u.need not in case.unmet:
                self.unmet[u.need] = self.unmet.get(u.need, 0) + 1
            case.unmet.add(u.need)
        if case.counted:
            for sid in full:
                self.tally[sid].turned_away += 1
        for ph in plan.handovers:
            if ph.service_id not in open_ids:
                self.request(case, ph.service_id, ph.from_node, ph.needs, when)

    def answer(self, h: _Handover, when: dt.datetime) -> None:
        sid = h.service_id
        self.pending[sid] -= 1
        maximum = self.services[sid].capacity.maximum
        counted = h.case.counted
        if maximum is not None and self.caseload[sid] >= maximum:
            h.status = HandoverStatus.DECLINED
            if counted:
                self.tally[sid].declined += 1
            self.replan(h.case, when)
            return
        h.status = HandoverStatus.IN_PROGRESS
        self.caseload[sid] += 1
        if counted:
            self.tally[sid].accepted += 1
        self.observe(sid, when)
        if h.coordinator or h.case.email_only:
            lo, hi = SHORT_DAYS
        else:
            lo, hi = DURATION_DAYS.get(self.services[sid].needs[0], DEFAULT_DURATION)
        self.push(when + dt.timedelta(days=self.rng.uniform(lo, hi)), _END, h)
        if h.hub and not h.case.email_only:
            # Triage has assessed the victim: plan the rest from where they are now.
            current = [
                CurrentHandover(sid, h.from_node, h.needs, HandoverStatus.IN_PROGRESS, lead=True)
            ]
            plan = make_plan(self.graph, h.case.referral, now=when, current=current)
            self.apply(h.case, plan, when)

    def end(self, h: _Handover, when: dt.datetime) -> None:
        h.status = HandoverStatus.COMPLETED
        self.caseload[h.service_id] -= 1
        if when >= self.report_from:
            self.tally[h.service_id].completed += 1

    def replan(self, case: _Case, when: dt.datetime) -> None:
        """Re-route the victim without the services that declined (DESIGN.md §5)."""
        if case.replans >= MAX_REPLANS:
            needs = {
                n for h in case.handovers if h.status is HandoverStatus.DECLINED for n in h.needs
            }
            covered = {
                n
                for h in case.handovers
                if h.status is not HandoverStatus.DECLINED
                for n in h.needs
            }
            for need in sorted(needs - covered - case.unmet):
                case.unmet.add(need)
                if case.counted:
                    self.unmet[need] = self.unmet.get(need, 0) + 1
            return
        case.replans += 1
        if when >= self.report_from:
            self.replans += 1
        current = [
            CurrentHandover(
                service_id=h.service_id,
                from_node=h.from_node,
                needs=h.needs,
                status=h.status,
                lead=False,
            )
            for h in case.handovers
            if h.status is not HandoverStatus.COMPLETED
        ]
        plan = make_plan(self.graph, case.referral, now=when, current=current)
        self.apply(case, plan, when)


# --------------------------------------------------------------------------- the entry point


def simulate(
    directory: Directory,
    *,
    seed: int,
    year_start: dt.date,
    days: int = 364,
    scale: float = 1.0,
    warmup_days: int = 364,
    streams: Mapping[str, float] = STREAMS,
    areas: Mapping[str, float] = AREA_POPULATION,
) -> SimulationResult:
    """Replay ``days`` of referrals (52 weeks by default) from ``year_start`` through
    ``directory`` and report what each service saw.

    ``scale`` multiplies every stream's volume (``streams``: referrals per 365 days);
    ``warmup_days`` are simulated before ``year_start`` and left out of the figures; ``areas``
    weights the victims' home areas. The same arguments give the same result.

    >>> import datetime as dt
    >>> from graph.codec import load_directory
    >>> r = simulate(load_directory(), seed=7, year_start=dt.date(2026, 1, 5), days=7,
    ...              warmup_days=0, streams={"email": 5_200})
    >>> r.by_stream, r.service("victim-support-triage").requested
    ((('email', 98),), 98)
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if warmup_days < 0 or scale < 0:
        raise ValueError("warmup_days and scale must not be negative")
    rng = random.Random(seed)
    generator = _Generator(rng, areas)
    midnight = dt.time(0, tzinfo=dt.UTC)
    first = dt.datetime.combine(year_start - dt.timedelta(days=warmup_days), midnight)
    report_from = dt.datetime.combine(year_start, midnight)
    weeks = -(-days // 7)
    model = _Model(directory, rng=rng, start=first, weeks=weeks, report_from=report_from)
    names = sorted(streams)
    counts = dict.fromkeys(names, 0)
    referrals = 0
    for day in range(warmup_days + days):
        morning = first + dt.timedelta(days=day)
        model.run_until(morning)
        model.snapshot(morning)
        today = morning.date()
        arrivals: list[tuple[dt.datetime, int, _Arrival]] = []
        for name in names:
            for _ in range(_poisson(rng, streams[name] * scale / 365)):
                when = morning + dt.timedelta(hours=8 + 10 * rng.random())
                arrivals.append((when, len(arrivals), generator.draw(name, today)))
        arrivals.sort(key=lambda a: (a[0], a[1]))
        for when, _, arrival in arrivals:
            if when >= report_from:
                counts[arrival.stream] += 1
                referrals += 1
            model.arrive(arrival, when)
        model.run_until(morning + dt.timedelta(days=1))
        for sid in model.services:
            model.observe(sid, morning + dt.timedelta(days=1) - dt.timedelta(microseconds=1))
    return _result(
        model,
        directory,
        seed=seed,
        year_start=year_start,
        days=days,
        scale=scale,
        referrals=referrals,
        counts=counts,
    )


def _result(
    model: _Model,
    directory: Directory,
    *,
    seed: int,
    year_start: dt.date,
    days: int,
    scale: float,
    referrals: int,
    counts: Mapping[str, int],
) -> SimulationResult:
    with_handovers = with_unmet = with_both = with_neither = 0
    for case in model.counted:
        has_h = bool(case.handovers)
        has_u = bool(case.unmet)
        with_handovers += has_h
        with_unmet += has_u
        with_both += has_h and has_u
        with_neither += not has_h and not has_u
    reports = []
    for s in sorted(directory.services, key=lambda s: s.id):
        t = model.tally[s.id]
        reports.append(
            ServiceReport(
                service_id=s.id,
                name=s.name,
                maximum=s.capacity.maximum,
                requested=t.requested,
                accepted=t.accepted,
                declined=t.declined,
                completed=t.completed,
                turned_away=t.turned_away,
                peak_caseload=t.peak,
                end_caseload=model.caseload[s.id],
                weeks_red=len(t.red_weeks),
                weeks_amber=len(t.amber_weeks - t.red_weeks),
                weekly_caseload=tuple(model.weekly[s.id]),
                unmet=tuple(sorted(t.unmet.items())),
            )
        )
    return SimulationResult(
        directory_version=directory.version,
        seed=seed,
        year_start=year_start,
        days=days,
        scale=scale,
        referrals=referrals,
        by_stream=tuple((k, v) for k, v in sorted(counts.items()) if v),
        with_handovers=with_handovers,
        with_unmet=with_unmet,
        with_both=with_both,
        with_neither=with_neither,
        replans=model.replans,
        unmet=tuple(sorted(model.unmet.items())),
        services=tuple(reports),
    )


def simulation_to_dict(result: SimulationResult) -> dict[str, Any]:
    """A plain JSON tree of a ``SimulationResult`` (what ``pathways simulate`` writes).

    >>> import datetime as dt
    >>> from graph.codec import load_directory
    >>> r = simulate(load_directory(), seed=1, year_start=dt.date(2026, 1, 5), days=7,
    ...              scale=0.01, warmup_days=0)
    >>> sorted(simulation_to_dict(r))[:4]
    ['by_stream', 'days', 'directory_version', 'referrals']
    """
    return {
        "directory_version": result.directory_version,
        "seed": result.seed,
        "year_start": result.year_start.isoformat(),
        "days": result.days,
        "scale": result.scale,
        "referrals": result.referrals,
        "by_stream": dict(result.by_stream),
        "with_handovers": result.with_handovers,
        "with_unmet": result.with_unmet,
        "with_both": result.with_both,
        "with_neither": result.with_neither,
        "replans": result.replans,
        "unmet": {n.value: c for n, c in result.unmet},
        "services": [
            {
                "service_id": s.service_id,
                "name": s.name,
                "maximum": s.maximum,
                "requested": s.requested,
                "accepted": s.accepted,
                "declined": s.declined,
                "completed": s.completed,
                "turned_away": s.turned_away,
                "peak_caseload": s.peak_caseload,
                "end_caseload": s.end_caseload,
                "weeks_red": s.weeks_red,
                "weeks_amber": s.weeks_amber,
                "unmet": {n.value: c for n, c in s.unmet},
                "verdict": s.verdict,
                "weekly_caseload": list(s.weekly_caseload),
            }
            for s in result.services
        ],
    }
