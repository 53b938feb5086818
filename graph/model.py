"""Frozen dataclasses: what graph/ takes in and gives back.

Inputs describe the directory (``Directory`` of ``Service`` and ``Pathway``) and the victim
(``Referral``: ``Victim``, ``Incident``, ``Assessment``). Outputs are the ``RiskAssessment``, the
``Plan`` with its ``PlannedHandover`` tree and ``Explanation``\\ s, and for a reassessment the
``Diff``. No networkx object ever crosses this boundary.

>>> Eligibility(min_age=16).min_age
16
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .vocabulary import (
    AccessNeed,
    CapacityStatus,
    Check,
    ContactChannel,
    HandoverMode,
    HandoverStatus,
    IncidentKind,
    MaracCriterion,
    Need,
    RiskFlag,
    RiskLevel,
    Severity,
    Sex,
    SourceKind,
    VictimRole,
)

# --------------------------------------------------------------------------- directory


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who a service may take. ``None`` (or an empty ``any_of``) means no restriction.

    ``min_severity``/``max_severity`` bound the severity of each need the service would meet.
    ``any_of`` holds alternatives: the service is eligible when every field here holds and, if
    there are alternatives, at least one of them holds too (e.g. "60+ *or* domestic abuse").
    """

    min_age: int | None = None
    max_age: int | None = None
    areas: frozenset[str] | None = None
    incident_kinds: frozenset[IncidentKind] | None = None
    victim_roles: frozenset[VictimRole] | None = None
    risk_levels: frozenset[RiskLevel] | None = None
    requires_police_report: bool | None = None
    sexes: frozenset[Sex] | None = None
    max_days_since_incident: int | None = None
    self_referral: bool | None = None
    min_severity: Severity | None = None
    max_severity: Severity | None = None
    flags_any: frozenset[RiskFlag] | None = None
    requires_court_case: bool | None = None
    any_of: tuple[Eligibility, ...] = ()

    @property
    def accepts_self_referral(self) -> bool:
        return self.self_referral is not False


@dataclass(frozen=True, slots=True)
class Capacity:
    """``updated`` is when the provider last confirmed the figures (UTC)."""

    status: CapacityStatus = CapacityStatus.GREEN
    available: int | None = None
    maximum: int | None = None
    updated: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Service:
    """One support service. ``needs[0]`` is its main need; ``specialisms`` ⊆ ``needs``."""

    id: str
    provider_id: str
    name: str
    needs: tuple[Need, ...]
    specialisms: frozenset[Need] = frozenset()
    eligibility: Eligibility = Eligibility()
    capacity: Capacity = Capacity()
    response_hours: int = 72
    description: str = ""
    contact: tuple[tuple[str, str], ...] = ()
    """How to reach the service, as sorted ``(key, value)`` pairs (phone, email, url…)."""
    languages: tuple[str, ...] = ()
    """Languages its staff work in, as sorted BCP 47 tags (``en``, ``pl``, ``bfi``…). Empty means
    not declared, which is unknown: not "English only"."""
    interpreters: bool = False
    """It arranges interpreters (e.g. Language Line, BSL interpreters) for other languages."""
    access: frozenset[AccessNeed] = frozenset()
    """The access needs it declares it can meet. Empty means none declared."""


@dataclass(frozen=True, slots=True)
class Pathway:
    """ "``from_node`` may hand over to ``to_service``", usually ``days`` to first contact."""

    from_node: str
    to_service: str
    days: float = 1.0
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Directory:
    """A versioned snapshot of the directory, as ``GET /snapshot`` serves it."""

    version: str
    services: tuple[Service, ...]
    pathways: tuple[Pathway, ...]


# --------------------------------------------------------------------------- the victim


@dataclass(frozen=True, slots=True)
class ContactPreferences:
    channels: tuple[ContactChannel, ...] = ()
    safe_times: str | None = None
    do_not_contact: bool = False


@dataclass(frozen=True, slots=True)
class Victim:
    """What the plan may use about the person. A ``None`` is a fact not given."""

    area: str
    role: VictimRole = VictimRole.DIRECT
    age: int | None = None
    sex: Sex | None = None
    consent_to_share: bool = False
    refused_services: frozenset[str] = frozenset()
    contact: ContactPreferences = ContactPreferences()
    language: str | None = None
    """Preferred language, a BCP 47 tag (``pl``, ``bfi``…); None: not given."""
    interpreter: bool = False
    """Needs an interpreter (in ``language``, where given)."""
    access_needs: frozenset[AccessNeed] = frozenset()


@dataclass(frozen=True, slots=True)
class Incident:
    kind: IncidentKind
    reported_to_police: bool = False
    occurred_on: dt.date | None = None
    reported_on: dt.date | None = None
    going_to_court: bool | None = None


def _frozen_needs(needs: Mapping[Need, Severity]) -> Mapping[Need, Severity]:
    return MappingProxyType({Need(n): Severity(needs[n]) for n in sorted(needs)})


@dataclass(frozen=True, slots=True)
class Assessment:
    """A needs assessment. ``needs`` maps a need to its severity (0–3)."""

    needs: Mapping[Need, Severity] = field(default_factory=dict)
    risk_level: RiskLevel | None = None
    dash_score: int | None = None
    flags: frozenset[RiskFlag] = frozenset()
    incidents_last_12_months: int | None = None
    last_marac_referral_on: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "needs", _frozen_needs(self.needs))

    def severity(self, need: Need) -> Severity:
        return self.needs.get(need, Severity.NONE)


@dataclass(frozen=True, slots=True)
class Referral:
    """Everything graph/ needs to plan for one victim."""

    source: SourceKind
    victim: Victim
    incident: Incident
    assessment: Assessment


# --------------------------------------------------------------------------- risk


@dataclass(frozen=True, slots=True)
class Marac:
    """A MARAC referral is due; ``criterion`` is the first that applies, ``criteria`` all."""

    criterion: MaracCriterion
    criteria: tuple[MaracCriterion, ...]
    due: bool = True


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    level: RiskLevel
    score_level: RiskLevel | None
    """What the DASH score alone says, if one was given."""
    enhanced: bool
    enhanced_reasons: tuple[str, ...]
    marac: Marac | None
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- plans


@dataclass(frozen=True, slots=True)
class Rejection:
    """A candidate that could not be used, and every check it failed."""

    service_id: str
    failed: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a service is in the plan."""

    role: str
    """``lead``, ``support`` or ``coordinator`` (passes the victim on; meets no need itself)."""
    needs_met: tuple[Need, ...]
    specialist_for: tuple[Need, ...]
    passed: tuple[Check, ...]
    confirm: tuple[Check, ...]
    """Checks that depend on a fact the referral did not give: confirm them with the victim."""
    path: tuple[str, ...]
    """Entry node, then each service the victim passes through, ending with this one."""
    capacity: CapacityStatus
    capacity_stale: bool
    continuity: bool
    """The victim already works with this service."""
    alternatives: tuple[str, ...]
    """Eligible services for the same needs that the plan did not choose."""
    rejected: tuple[Rejection, ...]
    """Candidates for the same needs that failed a check."""
    summary: str


@dataclass(frozen=True, slots=True)
class PlannedHandover:
    """One edge of the handover tree: ``from_node`` hands the victim over to ``service_id``."""

    service_id: str
    from_node: str
    needs: tuple[Need, ...]
    mode: HandoverMode
    status: HandoverStatus
    lead: bool
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class ImpliedNeed:
    """A need the plan adds because a routing rule calls for it (see ``implied_needs``)."""

    need: Need
    severity: Severity
    reason: str


@dataclass(frozen=True, slots=True)
class UnmetNeed:
    need: Need
    severity: Severity
    reasons: tuple[Rejection, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    directory_version: str
    entry: str
    lead: str | None
    mode: HandoverMode
    handovers: tuple[PlannedHandover, ...]
    unmet: tuple[UnmetNeed, ...]
    implied: tuple[ImpliedNeed, ...] = ()

    def handover(self, service_id: str) -> PlannedHandover | None:
        for h in self.handovers:
            if h.service_id == service_id:
                return h
        return None

    @property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(h.service_id for h in self.handovers)


# --------------------------------------------------------------------------- reassessment


@dataclass(frozen=True, slots=True)
class CurrentHandover:
    """A handover as the router holds it now."""

    service_id: str
    from_node: str
    needs: tuple[Need, ...]
    status: HandoverStatus
    lead: bool = False
    release_after: tuple[str, ...] | None = None
    """Set when a release is already scheduled: the services whose first contact it awaits."""


@dataclass(frozen=True, slots=True)
class Kept:
    service_id: str
    needs: tuple[Need, ...]
    lead: bool


@dataclass(frozen=True, slots=True)
class Release:
    """Release ``service_id`` once every service in ``after`` has made first contact.

    An empty ``after`` means now. ``acting_lead`` marks the old lead, who stays responsible for
    the victim until the new lead has made first contact.
    """

    service_id: str
    reason: str
    after: tuple[str, ...]
    acting_lead: bool = False


@dataclass(frozen=True, slots=True)
class Diff:
    start: tuple[PlannedHandover, ...]
    keep: tuple[Kept, ...]
    release: tuple[Release, ...]
    lead_before: str | None
    lead_after: str | None


@dataclass(frozen=True, slots=True)
class Reassessment:
    plan: Plan
    diff: Diff
