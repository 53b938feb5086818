"""The commissioning report: where referrals come from, whether the Victims' Code deadlines
were kept, how fast each service answers, what goes unmet, how victims fared, and whether
any group of victims fares differently.

Definitions (also written into every report's ``notes``):

- **Period**: referrals *received* (``received_on``, the day in England) from ``from`` to
  ``to``, both included; at most ``MAX_DAYS`` days. Everything else in the report is about those
  referrals, whenever it happened.
- **refer_by met**: the referral's first handover was requested (sent to a service, warm or as
  a signpost) on or before ``refer_by``, by the day in England. **Missed**: requested later,
  or never requested and ``refer_by`` has passed. **Pending**: nothing requested yet and
  ``refer_by`` is today or later. So met + missed + pending = referrals.
- **first_update_by met**: a service recorded first contact with the victim on or before
  ``first_update_by`` (the router's record of the victim hearing from support); missed and
  pending as above.
- **Times** are hours from the handover's request (and from the referral's arrival) to its
  acceptance and to first contact; p50 and p90 by the nearest-rank method (as ``bench/``).
- **Equity**: see ``EQUITY_RULE``.
- **Reviews** (an exception to the period rule): scheduled reviews *done* from ``from`` to
  ``to``, of any referral, on time (on or before the day due) or late; and open referrals whose
  review is overdue now (due before ``as_of``): missed reviews not yet made up.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from graph.deadlines import FIRST_UPDATE_DAYS, FIRST_UPDATE_ENHANCED_DAYS, REFER_BY_DAYS
from graph.plan import local_date
from graph.vocabulary import IncidentKind, Outcome, RiskLevel, Sex, SourceKind
from services.common.audit import service as audit
from services.common.auth.schemas import Principal
from services.common.db import before_writing, utcnow
from services.common.errors import UnprocessableContentError

from ..reviews.service import REVIEW_DAYS, first_cutoffs
from . import repository
from .repository import HandoverRow, ReferralRow, ReviewCount
from .schemas import (
    AreaUnmet,
    DeadlineCounts,
    Deadlines,
    Equity,
    EquityRule,
    GroupFigures,
    OutcomeCounts,
    Percentiles,
    Period,
    Rate,
    ReasonCount,
    ReferralCounts,
    ReviewFigures,
    ReviewsDone,
    ReviewsOverdue,
    ReviewTimeliness,
    SatisfactionFigures,
    ServiceFigures,
    SummaryReport,
    Timing,
    Unmet,
)

MAX_DAYS = 366
"""A year, a leap year's included: ask year by year for longer."""

MIN_GROUP = 20
Z_THRESHOLD = 3.0
EQUITY_RULE = (
    "A group's unmet or decline rate is flagged when a two-proportion z-test of the group "
    "against everyone else in the report (pooled proportion) gives |z| >= "
    f"{Z_THRESHOLD:g}, and both the group and the rest have at least {MIN_GROUP} in the "
    "denominator (referrals for the unmet rate, requested handovers for the decline rate). "
    f"|z| >= {Z_THRESHOLD:g} is about p < 0.003 two-sided, strict enough that the report's "
    "many comparisons (up to 20) rarely flag noise; the minimum keeps small groups, whose "
    "rates swing on a case or two, from being flagged at all. The improved rate is shown, "
    "never flagged: outcomes are too few."
)

AGE_BANDS = ("under_18", "18_24", "25_59", "60_plus", "unknown")
SEXES = (*(s.value for s in Sex), "unknown")
UNKNOWN = "unknown"

NOTES = (
    f"Referrals received (the day in England) from `from` to `to`, both included, at most "
    f"{MAX_DAYS} days; every figure is about those referrals, whenever it happened. "
    "not_reported_to_police: the incident was not reported to the police, or the victim "
    "referred themselves.",
    f"refer_by ({REFER_BY_DAYS} working days from the report to the police, or from arrival): "
    "met when the first handover (warm or signpost) was requested on or before it; missed when "
    "requested later, or never and the day has passed; pending when nothing was requested yet "
    "and it is not past. met + missed + pending = referrals.",
    f"first_update_by ({FIRST_UPDATE_ENHANCED_DAYS} working day when enhanced, else "
    f"{FIRST_UPDATE_DAYS}): met when a service recorded first contact with the victim on or "
    "before it; missed and pending as for refer_by.",
    "Service times are hours from the handover's request, and from the referral's arrival, "
    "to its acceptance and to first contact; p50 and p90 by the nearest-rank method. Only "
    "handovers that were requested count; reasons are counted by their text (spaces tidied, "
    "case kept).",
    "Unmet needs are those unmet now (a need met later after a re-route is no longer unmet); "
    "risk levels are the current ones.",
    "Outcomes: each need's improved / same / worse from completed handovers.",
    "Equity: by age band (under 18, 18-24, 25-59, 60 and over, unknown) and by sex. unmet = "
    "referrals with a need unmet now / referrals; declined = handovers declined / handovers "
    "requested; improved = outcomes improved / outcomes recorded. " + EQUITY_RULE,
    "Aggregate counts only: no referral, victim, reference or handover is identified. Counts "
    "are exact, not rounded or suppressed: the report is for admins, who may read each case; "
    "round or suppress small cells before publishing it. Decline reasons are the providers' "
    "own words. Reading the report is recorded in the audit log.",
    "Reviews, unlike the rest, are not limited to the referrals received in the period: "
    "done counts the scheduled reviews done from `from` to `to` (by the day done, in England), "
    "on time when done on or before the day due, else late, by the risk level once reviewed; "
    "a reassessment counts as a review. overdue counts the open referrals whose review was due "
    "before `as_of` (missed and not yet made up), by their current risk level. A review is due "
    + ", ".join(f"{days} days at {level} risk" for level, days in REVIEW_DAYS.items())
    + " after the last one (the first after arrival), or sooner when brought forward.",
    "JSON columns are read in batches and aggregated in Python (the same on SQLite and "
    "PostgreSQL); plain columns are counted in SQL. Referrals arriving while the report is "
    "made may show in some tables and not others.",
)


# --------------------------------------------------------------------------- pure rules


def check_period(*, start: dt.date, end: dt.date) -> None:
    """``start`` on or before ``end``, and at most ``MAX_DAYS`` days in all."""
    if start > end:
        raise UnprocessableContentError.at(
            ["query", "to"], f"must be on or after `from` ({start.isoformat()})"
        )
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise UnprocessableContentError.at(
            ["query", "to"],
            f"the period is {days} days; at most {MAX_DAYS} are allowed: ask year by year",
        )


def deadline_state(*, due: dt.date, done: dt.date | None, today: dt.date) -> str:
    """``met``, ``missed`` or ``pending`` (see the module docstring).

    >>> d = dt.date(2026, 11, 24)
    >>> later = d + dt.timedelta(days=1)
    >>> [deadline_state(due=d, done=x, today=t)
    ...  for x, t in ((d, d), (None, d), (None, later), (later, later))]
    ['met', 'pending', 'missed', 'missed']
    """
    if done is not None and done <= due:
        return "met"
    if done is None and today <= due:
        return "pending"
    return "missed"


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by nearest rank; None without values.

    >>> nearest_rank([3, 1, 2], 50), nearest_rank([1, 2, 3, 4], 90), nearest_rank([], 50)
    (2, 4, None)
    """
    ordered = sorted(values)
    if not ordered:
        return None
    rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def percentiles(hours: Sequence[float]) -> Percentiles:
    p50, p90 = nearest_rank(hours, 50), nearest_rank(hours, 90)
    return Percentiles(
        count=len(hours),
        p50=None if p50 is None else round(p50, 2),
        p90=None if p90 is None else round(p90, 2),
    )


def age_band(age: object) -> str:
    if not isinstance(age, int) or isinstance(age, bool):
        return UNKNOWN
    if age < 18:
        return "under_18"
    if age < 25:
        return "18_24"
    if age < 60:
        return "25_59"
    return "60_plus"


def two_proportion_z(count: int, of: int, rest_count: int, rest_of: int) -> float | None:
    """z of ``count/of`` against ``rest_count/rest_of`` with the pooled proportion; None when a
    side is empty or every case is alike (no variation to test)."""
    if of == 0 or rest_of == 0:
        return None
    pooled = (count + rest_count) / (of + rest_of)
    variance = pooled * (1 - pooled) * (1 / of + 1 / rest_of)
    if variance <= 0:
        return None
    return (count / of - rest_count / rest_of) / math.sqrt(variance)


def rate(count: int, of: int, total_count: int, total_of: int, *, flagged: bool) -> Rate:
    """A group's rate with its z against the rest of the report, flagged by ``EQUITY_RULE``."""
    rest_count, rest_of = total_count - count, total_of - of
    z = two_proportion_z(count, of, rest_count, rest_of)
    flag = None
    if flagged and z is not None and min(of, rest_of) >= MIN_GROUP and abs(z) >= Z_THRESHOLD:
        flag = "higher" if z > 0 else "lower"
    return Rate(
        count=count,
        of=of,
        rate=round(count / of, 4) if of else None,
        z=None if z is None else round(z, 2),
        flag=flag,
    )


_SPACES = re.compile(r"\s+")


def _reason(text: str | None) -> str:
    return _SPACES.sub(" ", text or "").strip() or "(no reason given)"


def _hours(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() / 3600)


# --------------------------------------------------------------------------- aggregation


@dataclass
class _Group:
    referrals: int = 0
    with_unmet: int = 0
    requested: int = 0
    declined: int = 0
    outcomes: int = 0
    improved: int = 0


@dataclass
class _Service:
    name: str
    requested: int = 0
    accepted: int = 0
    contacted: int = 0
    status: Counter[str] = field(default_factory=Counter)
    accept_from_request: list[float] = field(default_factory=list)
    accept_from_referral: list[float] = field(default_factory=list)
    contact_from_request: list[float] = field(default_factory=list)
    contact_from_referral: list[float] = field(default_factory=list)
    declines: Counter[str] = field(default_factory=Counter)
    expiries: Counter[str] = field(default_factory=Counter)
    satisfaction: Counter[int] = field(default_factory=Counter)


@dataclass
class _Area:
    referrals: int = 0
    with_unmet: int = 0
    needs: Counter[str] = field(default_factory=Counter)


def _zeros(values: Iterable[str]) -> dict[str, int]:
    return dict.fromkeys(values, 0)


def _add_counts(base: dict[str, int], found: dict[str, int]) -> dict[str, int]:
    out = dict(base)
    for key, n in found.items():
        out[key] = out.get(key, 0) + n
    return out


def _reasons(counts: Counter[str]) -> list[ReasonCount]:
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [ReasonCount(reason=r, count=n) for r, n in ordered]


def _groups_out(groups: dict[str, _Group], order: Sequence[str]) -> list[GroupFigures]:
    total = _Group()
    for g in groups.values():
        total.referrals += g.referrals
        total.with_unmet += g.with_unmet
        total.requested += g.requested
        total.declined += g.declined
        total.outcomes += g.outcomes
        total.improved += g.improved
    out = []
    for name in order:
        g = groups.get(name, _Group())
        out.append(
            GroupFigures(
                group=name,
                referrals=g.referrals,
                unmet=rate(
                    g.with_unmet, g.referrals, total.with_unmet, total.referrals, flagged=True
                ),
                declined=rate(
                    g.declined, g.requested, total.declined, total.requested, flagged=True
                ),
                improved=rate(
                    g.improved, g.outcomes, total.improved, total.outcomes, flagged=False
                ),
            )
        )
    return out


def build(
    *,
    referrals: Iterable[ReferralRow],
    handovers: Iterable[HandoverRow],
    first_times: dict[str, tuple[dt.datetime | None, dt.datetime | None]],
    by_source: dict[str, int],
    by_risk: dict[str, int],
    start: dt.date,
    end: dt.date,
    today: dt.date,
    reviews_done: Iterable[ReviewCount] = (),
    reviews_overdue: Mapping[str, int] | None = None,
) -> SummaryReport:
    """The report from rows already read (pure: no database), so tests can feed it directly."""
    total = 0
    not_reported = 0
    kinds: Counter[str] = Counter()
    deadlines = {"refer_by": Counter[str](), "first_update_by": Counter[str]()}
    unmet_needs: Counter[str] = Counter()
    with_unmet = 0
    areas: dict[str, _Area] = defaultdict(_Area)
    by_band: dict[str, _Group] = defaultdict(_Group)
    by_sex: dict[str, _Group] = defaultdict(_Group)
    group_of: dict[str, tuple[str, str]] = {}

    for r in referrals:
        total += 1
        if (
            r.source_kind == SourceKind.SELF.value
            or r.incident.get("reported_to_police") is not True
        ):
            not_reported += 1
        kinds[str(r.incident.get("kind", UNKNOWN))] += 1
        requested, contacted = first_times.get(r.id, (None, None))
        deadlines["refer_by"][
            deadline_state(
                due=r.refer_by, done=local_date(requested) if requested else None, today=today
            )
        ] += 1
        deadlines["first_update_by"][
            deadline_state(
                due=r.first_update_by,
                done=local_date(contacted) if contacted else None,
                today=today,
            )
        ] += 1
        needs = sorted({str(u.get("need")) for u in r.unmet})
        unmet_needs.update(needs)
        area = areas[str(r.victim.get("area") or UNKNOWN)]
        area.referrals += 1
        area.needs.update(needs)
        band, sex = age_band(r.victim.get("age")), str(r.victim.get("sex") or UNKNOWN)
        group_of[r.id] = (band, sex)
        for g in (by_band[band], by_sex[sex]):
            g.referrals += 1
            g.with_unmet += bool(needs)
        if needs:
            with_unmet += 1
            area.with_unmet += 1

    services: dict[str, _Service] = {}
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for h in handovers:
        if h.referral_id not in group_of:
            continue  # its referral arrived after the referrals were read
        band, sex = group_of[h.referral_id]
        groups = (by_band[band], by_sex[sex])
        if h.status == "completed" and h.outcomes:
            for need, outcome in h.outcomes.items():
                outcomes[need][outcome] += 1
                for g in groups:
                    g.outcomes += 1
                    g.improved += outcome == Outcome.IMPROVED.value
        if h.requested_at is None:
            continue  # only proposed (its sender never took the victim on): no service asked
        s = services.setdefault(h.service_id, _Service(name=h.service_name))
        s.requested += 1
        s.status[h.status] += 1
        for g in groups:
            g.requested += 1
            g.declined += h.status == "declined"
        if h.accepted_at is not None:
            s.accepted += 1
            _append(s.accept_from_request, _hours(h.requested_at, h.accepted_at))
            _append(s.accept_from_referral, _hours(h.referral_created_at, h.accepted_at))
        if h.contacted_at is not None:
            s.contacted += 1
            _append(s.contact_from_request, _hours(h.requested_at, h.contacted_at))
            _append(s.contact_from_referral, _hours(h.referral_created_at, h.contacted_at))
        if h.status == "completed" and h.satisfaction is not None:
            s.satisfaction[h.satisfaction] += 1
        if h.status == "declined":
            s.declines[_reason(h.reason)] += 1
        elif h.status == "expired":
            s.expiries[_reason(h.reason)] += 1

    return SummaryReport(
        period=Period(from_=start, to=end, days=(end - start).days + 1, as_of=today),
        referrals=ReferralCounts(
            total=total,
            by_source=_add_counts(_zeros(s.value for s in SourceKind), by_source),
            not_reported_to_police=not_reported,
            by_incident_kind=_add_counts(_zeros(k.value for k in IncidentKind), kinds),
            by_risk_level=_add_counts(_zeros(r.value for r in RiskLevel), by_risk),
        ),
        deadlines=Deadlines(
            refer_by=DeadlineCounts(**_deadline_counts(deadlines["refer_by"])),
            first_update_by=DeadlineCounts(**_deadline_counts(deadlines["first_update_by"])),
        ),
        services=[
            ServiceFigures(
                service_id=sid,
                service_name=s.name,
                requested=s.requested,
                accepted=s.accepted,
                contacted=s.contacted,
                completed=s.status["completed"],
                declined=s.status["declined"],
                expired=s.status["expired"],
                cancelled=s.status["cancelled"],
                hours_to_accept=Timing(
                    from_request=percentiles(s.accept_from_request),
                    from_referral=percentiles(s.accept_from_referral),
                ),
                hours_to_contact=Timing(
                    from_request=percentiles(s.contact_from_request),
                    from_referral=percentiles(s.contact_from_referral),
                ),
                decline_reasons=_reasons(s.declines),
                expiry_reasons=_reasons(s.expiries),
                satisfaction=_satisfaction(s.satisfaction),
            )
            for sid, s in sorted(services.items())
        ],
        unmet=Unmet(
            referrals_with_unmet=with_unmet,
            by_need=dict(sorted(unmet_needs.items())),
            by_area=[
                AreaUnmet(
                    area=code,
                    referrals=a.referrals,
                    with_unmet=a.with_unmet,
                    by_need=dict(sorted(a.needs.items())),
                )
                for code, a in sorted(areas.items())
            ],
        ),
        outcomes={
            need: OutcomeCounts(**{o.value: counts[o.value] for o in Outcome})
            for need, counts in sorted(outcomes.items())
        },
        reviews=review_figures(done=reviews_done, overdue=reviews_overdue or {}),
        equity=Equity(
            rule=EquityRule(text=EQUITY_RULE, min_group=MIN_GROUP, z_threshold=Z_THRESHOLD),
            by_age_band=_groups_out(by_band, AGE_BANDS),
            by_sex=_groups_out(by_sex, SEXES),
        ),
        notes=list(NOTES),
    )


def review_figures(*, done: Iterable[ReviewCount], overdue: Mapping[str, int]) -> ReviewFigures:
    """Reviews done (counted by outcome, risk level and lateness) and overdue by risk level."""
    levels = [r.value for r in RiskLevel]
    timely: dict[str, Counter[bool]] = {level: Counter() for level in levels}
    outcomes: Counter[str] = Counter({"no_change": 0, "reassessed": 0})
    for row in done:
        timely.setdefault(row.risk_level, Counter())[row.late] += row.count
        outcomes[row.outcome] += row.count
    return ReviewFigures(
        done=ReviewsDone(
            on_time=sum(c[False] for c in timely.values()),
            late=sum(c[True] for c in timely.values()),
            by_outcome=dict(outcomes),
            by_risk_level={
                level: ReviewTimeliness(on_time=c[False], late=c[True])
                for level, c in timely.items()
            },
        ),
        overdue=ReviewsOverdue(
            referrals=sum(overdue.values()),
            by_risk_level=_add_counts(_zeros(levels), dict(overdue)),
        ),
    )


def _satisfaction(scores: Counter[int]) -> SatisfactionFigures:
    answers = sum(scores.values())
    total = sum(score * n for score, n in scores.items())
    return SatisfactionFigures(
        answers=answers,
        mean=round(total / answers, 2) if answers else None,
        by_score={str(score): scores[score] for score in range(1, 6)},
    )


def _append(values: list[float], hours: float | None) -> None:
    if hours is not None:
        values.append(hours)


def _deadline_counts(counts: Counter[str]) -> dict[str, int]:
    return {state: counts[state] for state in ("met", "missed", "pending")}


# --------------------------------------------------------------------------- the report


def summary(
    *,
    session: Session,
    start: dt.date,
    end: dt.date,
    by: Principal,
    output: str,
    now: dt.datetime | None = None,
) -> SummaryReport:
    """The report for referrals received from ``start`` to ``end``; the read is audited."""
    check_period(start=start, end=end)
    today = local_date(now or utcnow())
    # Read first, in a read transaction of its own on SQLite (``before_writing``), and only
    # then write the audit record: a year's report takes a second or two, and an audited
    # session holds SQLite's write lock from its first statement, which would stop every
    # referral and handover for that long. The response is sent only once the record commits.
    referrals: list[ReferralRow] = []
    handovers: list[HandoverRow] = []
    first: dict[str, tuple[dt.datetime | None, dt.datetime | None]] = {}
    with before_writing(session) as reading:
        for batch in repository.referral_batches(session=reading, start=start, end=end):
            ids = [r.id for r in batch]
            referrals.extend(batch)
            handovers.extend(repository.handovers_of(session=reading, referral_ids=ids))
            first.update(repository.first_times(session=reading, referral_ids=ids))
        by_source = repository.count_by(session=reading, column="source_kind", start=start, end=end)
        by_risk = repository.count_by(session=reading, column="risk_level", start=start, end=end)
        reviews_done = repository.reviews_done(session=reading, start=start, end=end)
        # Overdue: due before today, i.e. on or before yesterday.
        yesterday = today - dt.timedelta(days=1)
        reviews_overdue = repository.reviews_due_by_risk(
            session=reading, on_or_before=yesterday, first_cutoffs=first_cutoffs(yesterday)
        )
    report = build(
        referrals=referrals,
        handovers=handovers,
        first_times=first,
        by_source=by_source,
        by_risk=by_risk,
        start=start,
        end=end,
        today=today,
        reviews_done=reviews_done,
        reviews_overdue=reviews_overdue,
    )
    audit.record(
        session=session,
        by=by,
        action="read_report",
        entity_type="report",
        entity_id="summary",
        before=None,
        after={"from": start.isoformat(), "to": end.isoformat(), "format": output},
    )
    return report


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = ("section", "dimension", "group", "measure", "value")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    # Free text (decline reasons) opened in a spreadsheet must not run as a formula.
    return "'" + text if text.startswith(_FORMULA) and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def rows(report: SummaryReport) -> Iterator[tuple[str, str, str, str, object]]:
    """The report in long form: one figure per row (section, dimension, group, measure, value)."""
    p = report.period
    yield from (
        ("period", "", "", "from", p.from_.isoformat()),
        ("period", "", "", "to", p.to.isoformat()),
        ("period", "", "", "days", p.days),
        ("period", "", "", "as_of", p.as_of.isoformat()),
    )
    r = report.referrals
    yield ("referrals", "all", "all", "referrals", r.total)
    yield ("referrals", "reported_to_police", "no", "referrals", r.not_reported_to_police)
    for dimension, counts in (
        ("source_kind", r.by_source),
        ("incident_kind", r.by_incident_kind),
        ("risk_level", r.by_risk_level),
    ):
        for group, n in counts.items():
            yield ("referrals", dimension, group, "referrals", n)
    for name, d in (
        ("refer_by", report.deadlines.refer_by),
        ("first_update_by", report.deadlines.first_update_by),
    ):
        for state, n in d.model_dump().items():
            yield ("deadlines", name, state, "referrals", n)
    for s in report.services:
        for measure in (
            "requested",
            "accepted",
            "contacted",
            "completed",
            "declined",
            "expired",
            "cancelled",
        ):
            yield ("services", s.service_id, "handovers", measure, getattr(s, measure))
        for what, timing in (
            ("hours_to_accept", s.hours_to_accept),
            ("hours_to_contact", s.hours_to_contact),
        ):
            for since, pct in (
                ("from_request", timing.from_request),
                ("from_referral", timing.from_referral),
            ):
                for measure, value in pct.model_dump().items():
                    yield ("services", s.service_id, f"{what}_{since}", measure, value)
        for reason in s.decline_reasons:
            yield ("services", s.service_id, "decline_reason", reason.reason, reason.count)
        for reason in s.expiry_reasons:
            yield ("services", s.service_id, "expiry_reason", reason.reason, reason.count)
        yield ("services", s.service_id, "satisfaction", "answers", s.satisfaction.answers)
        yield ("services", s.service_id, "satisfaction", "mean", s.satisfaction.mean)
        for score, n in s.satisfaction.by_score.items():
            yield ("services", s.service_id, "satisfaction", score, n)
    u = report.unmet
    yield ("unmet", "all", "all", "referrals_with_unmet", u.referrals_with_unmet)
    for need, n in u.by_need.items():
        yield ("unmet", "need", need, "referrals", n)
    for a in u.by_area:
        yield ("unmet", "area", a.area, "referrals", a.referrals)
        yield ("unmet", "area", a.area, "with_unmet", a.with_unmet)
        for need, n in a.by_need.items():
            yield ("unmet", "area", a.area, need, n)
    for need, outcome_counts in report.outcomes.items():
        for outcome, n in outcome_counts.model_dump().items():
            yield ("outcomes", "need", need, outcome, n)
    v = report.reviews
    yield ("reviews", "done", "all", "on_time", v.done.on_time)
    yield ("reviews", "done", "all", "late", v.done.late)
    for outcome, n in v.done.by_outcome.items():
        yield ("reviews", "done_outcome", outcome, "reviews", n)
    for level, t in v.done.by_risk_level.items():
        yield ("reviews", "done_risk_level", level, "on_time", t.on_time)
        yield ("reviews", "done_risk_level", level, "late", t.late)
    yield ("reviews", "overdue", "all", "referrals", v.overdue.referrals)
    for level, n in v.overdue.by_risk_level.items():
        yield ("reviews", "overdue_risk_level", level, "referrals", n)
    e = report.equity
    yield ("equity", "rule", "", "text", e.rule.text)
    yield ("equity", "rule", "", "min_group", e.rule.min_group)
    yield ("equity", "rule", "", "z_threshold", e.rule.z_threshold)
    for dimension, groups in (("age_band", e.by_age_band), ("sex", e.by_sex)):
        for g in groups:
            yield ("equity", dimension, g.group, "referrals", g.referrals)
            for name, stat in (
                ("unmet", g.unmet),
                ("declined", g.declined),
                ("improved", g.improved),
            ):
                for measure, value in stat.model_dump().items():
                    yield ("equity", dimension, g.group, f"{name}_{measure}", value)


def to_csv(report: SummaryReport) -> str:
    """``rows`` as CSV text (RFC 4180, CRLF line ends) with a header line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows(report):
        writer.writerow([_cell(part) for part in row])
    return out.getvalue()
