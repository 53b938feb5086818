"""What ``GET /reports/summary`` returns: aggregate counts and rates, never a single case."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class Period(BaseModel):
    from_: dt.date = Field(
        alias="from", serialization_alias="from", description="First day (inclusive)."
    )
    to: dt.date = Field(description="Last day (inclusive).")
    days: int = Field(description="Days in the period, both ends counted.")
    as_of: dt.date = Field(
        description="The day (in England) the report was made: deadlines after it are pending."
    )

    model_config = {"populate_by_name": True}


class ReferralCounts(BaseModel):
    total: int = Field(description="Referrals received in the period.")
    by_source: dict[str, int] = Field(description="police, agency, self.")
    not_reported_to_police: int = Field(
        description="Victims helped who did not report to the police: the incident was not "
        "reported (`reported_to_police` false) or the victim referred themselves."
    )
    by_incident_kind: dict[str, int]
    by_risk_level: dict[str, int] = Field(description="The current risk level of each referral.")


class DeadlineCounts(BaseModel):
    met: int
    missed: int
    pending: int = Field(description="Not met yet, and not yet due.")


class Deadlines(BaseModel):
    """Victims' Code deadlines; see the endpoint's description for the exact rules."""

    refer_by: DeadlineCounts = Field(
        description="Details passed to a support service (a handover requested) by `refer_by`."
    )
    first_update_by: DeadlineCounts = Field(
        description="A service in contact with the victim (first contact recorded) by "
        "`first_update_by`."
    )


class Percentiles(BaseModel):
    count: int = Field(description="Handovers measured.")
    p50: float | None = Field(description="Median, hours (nearest rank); null when count is 0.")
    p90: float | None = Field(description="90th percentile, hours (nearest rank).")


class Timing(BaseModel):
    from_request: Percentiles = Field(description="From the handover's request.")
    from_referral: Percentiles = Field(description="From the referral's arrival.")


class ReasonCount(BaseModel):
    reason: str = Field(description="As the provider (or the expiry sweep) gave it.")
    count: int


class SatisfactionFigures(BaseModel):
    """The victims' satisfaction at completion, on the common 1-5 scale (1 very dissatisfied,
    5 very satisfied). Free-text reasons stay on the handovers: they are the victim's words."""

    answers: int = Field(description="Completions where the victim gave a score.")
    mean: float | None = Field(description="The mean score, to 2 places; null with no answers.")
    by_score: dict[str, int] = Field(description='How many gave each score, "1" to "5".')


class ServiceFigures(BaseModel):
    service_id: str
    service_name: str
    requested: int = Field(description="Handovers sent to the service (any outcome since).")
    accepted: int = Field(description="Handovers it accepted (whatever happened later).")
    contacted: int = Field(description="Handovers where it made first contact.")
    completed: int
    declined: int
    expired: int
    cancelled: int
    hours_to_accept: Timing
    hours_to_contact: Timing
    decline_reasons: list[ReasonCount] = Field(description="Most frequent first.")
    expiry_reasons: list[ReasonCount]
    satisfaction: SatisfactionFigures


class AreaUnmet(BaseModel):
    area: str = Field(description="ONS local authority code; `unknown` when none was given.")
    referrals: int = Field(description="Referrals from the area.")
    with_unmet: int = Field(description="Of those, referrals with at least one unmet need.")
    by_need: dict[str, int]


class Unmet(BaseModel):
    referrals_with_unmet: int
    by_need: dict[str, int] = Field(description="Referrals with each need unmet now.")
    by_area: list[AreaUnmet]


class OutcomeCounts(BaseModel):
    improved: int = 0
    same: int = 0
    worse: int = 0


class Rate(BaseModel):
    count: int
    of: int = Field(description="The denominator.")
    rate: float | None = Field(description="count / of, 4 decimals; null when `of` is 0.")
    z: float | None = Field(
        description="Two-proportion z against everyone else in the report; null when either "
        "side is empty or there is no variation."
    )
    flag: str | None = Field(
        description="`higher` or `lower` when the rule of `equity.rule` flags it; else null."
    )


class GroupFigures(BaseModel):
    group: str
    referrals: int
    unmet: Rate = Field(description="Referrals with at least one unmet need / referrals.")
    declined: Rate = Field(description="Handovers declined / handovers requested.")
    improved: Rate = Field(
        description="Outcomes `improved` / outcomes recorded (not flagged: outcomes are few)."
    )


class EquityRule(BaseModel):
    text: str
    min_group: int = Field(description="Smallest denominator, on each side, that can be flagged.")
    z_threshold: float


class Equity(BaseModel):
    rule: EquityRule
    by_age_band: list[GroupFigures]
    by_sex: list[GroupFigures]


class ReviewTimeliness(BaseModel):
    on_time: int = Field(description="Done on or before the day the review was due.")
    late: int = Field(description="Done after it.")


class ReviewsDone(ReviewTimeliness):
    """Scheduled reviews done in the period (by the day done), of any referral."""

    by_outcome: dict[str, int] = Field(description="no_change, reassessed.")
    by_risk_level: dict[str, ReviewTimeliness] = Field(
        description="By the risk level once reviewed."
    )


class ReviewsOverdue(BaseModel):
    """Open referrals whose review is overdue now: missed reviews not yet made up."""

    referrals: int = Field(description="Open referrals whose review was due before `as_of`.")
    by_risk_level: dict[str, int] = Field(description="By the current risk level.")


class ReviewFigures(BaseModel):
    """Scheduled reviews: every 14 days at high risk, 21 at medium, 28 at standard."""

    done: ReviewsDone
    overdue: ReviewsOverdue


class SummaryReport(BaseModel):
    """The commissioning report: aggregate counts only, no identifiers of any case."""

    period: Period
    referrals: ReferralCounts
    deadlines: Deadlines
    services: list[ServiceFigures] = Field(description="Services sent a handover, by id.")
    unmet: Unmet
    outcomes: dict[str, OutcomeCounts] = Field(
        description="Cope-and-recover outcomes by need, from completed handovers."
    )
    reviews: ReviewFigures = Field(
        description="Reviews done in the period, on time or late, and reviews overdue now "
        "(of any referral: not only those received in the period)."
    )
    equity: Equity
    notes: list[str] = Field(description="How the figures were made, in plain words.")
