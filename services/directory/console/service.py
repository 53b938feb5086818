"""What the console's pages show, read through the directory's own service functions.

Lists and details come from the features' service functions (as the API serves them); the
capacity board, the picture, "try a referral" and the gaps read the current snapshot, the
directory exactly as the router sees it, and use graph/'s own rules on it (staleness, planning,
search). Nothing here writes: the endpoints call the features' service functions to change
anything, so every change is validated and audited as the API's would be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session

from graph.build import PathwayGraph
from graph.errors import InputError
from graph.model import Directory, Eligibility
from graph.model import Service as GraphService
from graph.plan import effective_capacity
from graph.route import route_offline
from graph.vocabulary import Check
from services.common.auth.schemas import Principal
from services.common.pagination import MAX_LIMIT, Page

from ..pathways import service as pathways
from ..pathways.schemas import PathwayPublic
from ..providers import service as providers
from ..providers.schemas import ProviderPublic
from ..search import service as search
from ..search.schemas import SearchRequest, SearchResponse
from ..services import service as services
from ..services.schemas import ServicePublic
from ..snapshot import service as snapshots
from ..snapshot.service import Snapshot, SnapshotCache
from . import labels
from .picture import Arrow, Picture, ServiceNode, layout

T = TypeVar("T")


def _every(fetch: Callable[[str | None], Page[T]]) -> list[T]:
    """Every item of a paginated listing, page after page."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


# --------------------------------------------------------------------------- lists


def all_providers(*, session: Session) -> list[ProviderPublic]:
    return _every(lambda c: providers.list_providers(session=session, cursor=c, limit=MAX_LIMIT))


def find_services(
    *,
    session: Session,
    by: Principal,
    text: str = "",
    area: str | None = None,
    need: str | None = None,
    provider_id: str | None = None,
    capacity_status: str | None = None,
) -> list[ServicePublic]:
    """The services the API's filters give, narrowed to those whose id, name or description
    contains ``text`` (any case)."""
    found = _every(
        lambda c: services.list_services(
            session=session,
            by=by,
            cursor=c,
            limit=MAX_LIMIT,
            area=area,
            need=need,
            provider_id=provider_id,
            capacity_status=capacity_status,
        )
    )
    words = text.casefold().split()
    if not words:
        return found

    def matches(s: ServicePublic) -> bool:
        haystack = f"{s.id} {s.name} {s.description} {s.provider_id}".casefold()
        return all(w in haystack for w in words)

    return [s for s in found if matches(s)]


def pathways_touching(*, session: Session, service_id: str) -> list[PathwayPublic]:
    return _every(
        lambda c: pathways.list_pathways(
            session=session, cursor=c, limit=MAX_LIMIT, service=service_id
        )
    )


def current_snapshot(*, session: Session, cache: SnapshotCache) -> Snapshot:
    """The directory as the router sees it now (built once per version, then cached)."""
    return snapshots.current(session=session, cache=cache)


# --------------------------------------------------------------------------- capacity


@dataclass(frozen=True, slots=True)
class CapacityRow:
    service_id: str
    name: str
    provider_id: str
    status: str
    """As the provider last set it."""
    routed_as: str
    """As the router treats it now: a stale green counts as amber."""
    stale: bool
    available: int | None
    maximum: int | None
    updated: dt.datetime | None
    updated_words: str


_RAG_ORDER = {"red": 0, "amber": 1, "green": 2}


def capacity_board(directory: Directory, *, now: dt.datetime) -> list[CapacityRow]:
    """Every service's capacity, the most pressing first: red, then amber (or stale), then
    green; by name within each."""
    rows = []
    for s in directory.services:
        routed, stale = effective_capacity(s, now)
        rows.append(
            CapacityRow(
                service_id=s.id,
                name=s.name,
                provider_id=s.provider_id,
                status=s.capacity.status.value,
                routed_as=routed.value,
                stale=stale,
                available=s.capacity.available,
                maximum=s.capacity.maximum,
                updated=s.capacity.updated,
                updated_words=labels.ago(s.capacity.updated, now),
            )
        )
    rows.sort(key=lambda r: (_RAG_ORDER.get(r.routed_as, 1), r.stale is False, r.name))
    return rows


def staleness(directory: Directory, *, now: dt.datetime) -> dict[str, bool]:
    """Which services' capacity figures the router would treat as unknown (older than 24 h)."""
    return {s.id: effective_capacity(s, now)[1] for s in directory.services}


# --------------------------------------------------------------------------- the picture


def _serves(service: GraphService, area: str | None, need: str | None) -> bool:
    areas = service.eligibility.areas
    if area and areas is not None and area not in areas:
        return False
    return not need or need in service.needs


def pathway_picture(
    directory: Directory, *, now: dt.datetime, area: str | None = None, need: str | None = None
) -> Picture:
    """The services open in ``area`` that meet ``need`` (all of them when not given), the entry
    nodes, and the pathways between them."""
    shown = [s for s in directory.services if _serves(s, area, need)]
    nodes = []
    for s in shown:
        _routed, stale = effective_capacity(s, now)
        nodes.append(
            ServiceNode(
                id=s.id,
                name=s.name,
                status=s.capacity.status.value,
                stale=stale,
                available=s.capacity.available,
                maximum=s.capacity.maximum,
            )
        )
    arrows = [Arrow(p.from_node, p.to_service, p.days) for p in directory.pathways]
    return layout(nodes, arrows)


def shown_pathways(
    directory: Directory, *, area: str | None = None, need: str | None = None
) -> list[tuple[str, str, str, float]]:
    """The pathways the picture draws, as ``(id, from, to, days)`` rows for its table."""
    shown = {s.id for s in directory.services if _serves(s, area, need)}
    rows = [
        (p.id or "", p.from_node, p.to_service, p.days)
        for p in directory.pathways
        if p.to_service in shown and (p.from_node in shown or p.from_node.startswith("entry:"))
    ]
    return sorted(rows, key=lambda r: (r[1], r[2]))


# --------------------------------------------------------------------------- try a referral


@dataclass(frozen=True, slots=True)
class Tried:
    """What the router would answer (``route_offline``), or where the profile is wrong."""

    answer: dict[str, Any] | None
    errors: list[tuple[list[str | int], str]]


def try_referral(*, graph: PathwayGraph, body: Mapping[str, Any], now: dt.datetime) -> Tried:
    """Plan a referral with the router's own planner on the current directory; store nothing.

    The body is checked first as ``POST /search`` checks a profile (the same shapes as a
    referral's), then read strictly by graph's codec, as the router reads a referral.
    """
    checked = SearchRequest.model_validate(body)
    raw = checked.model_dump(mode="json", exclude_none=True)
    try:
        return Tried(answer=route_offline(raw, graph, now=now), errors=[])
    except InputError as exc:
        loc: list[str | int] = [p for p in exc.field.split(".") if p]
        return Tried(answer=None, errors=[(loc, exc.message)])


# --------------------------------------------------------------------------- gaps


@dataclass(frozen=True, slots=True)
class Profile:
    """A victim profile that commissioners check the directory against."""

    key: str
    title: str
    summary: str
    build: Callable[[dt.date, str | None], dict[str, Any]]


def _profile(
    area: str,
    kind: str,
    needs: dict[str, int],
    *,
    age: int | None = None,
    sex: str | None = None,
    role: str = "direct",
    reported: bool | None = True,
    days_ago: int | None = 2,
    dash: int | None = None,
    flags: Sequence[str] = (),
    court: bool | None = None,
) -> Callable[[dt.date, str | None], dict[str, Any]]:
    def build(today: dt.date, in_area: str | None) -> dict[str, Any]:
        victim: dict[str, Any] = {"area": in_area or area, "role": role, "consent_to_share": True}
        if age is not None:
            victim["age"] = age
        if sex is not None:
            victim["sex"] = sex
        incident: dict[str, Any] = {"kind": kind}
        if reported is not None:
            incident["reported_to_police"] = reported
        if days_ago is not None:
            incident["occurred_on"] = (today - dt.timedelta(days=days_ago)).isoformat()
        if court is not None:
            incident["going_to_court"] = court
        assessment: dict[str, Any] = {"needs": dict(needs)}
        if dash is not None:
            assessment["dash_score"] = dash
        if flags:
            assessment["flags"] = list(flags)
        return {
            "source": {"kind": "police" if reported else "self"},
            "victim": victim,
            "incident": incident,
            "assessment": assessment,
        }

    return build


PROFILES: tuple[Profile, ...] = (
    Profile(
        "da-high-risk-woman",
        "High-risk domestic abuse: a woman of 34 in Cambridge",
        "DASH 16, risk from the offender; needs an IDVA and somewhere safe to live.",
        _profile(
            "E07000008",
            "domestic_abuse",
            {"domestic_abuse_advocacy": 3, "accommodation": 2, "refuge": 2},
            age=34,
            sex="female",
            dash=16,
            flags=("risk_from_offender",),
        ),
    ),
    Profile(
        "da-high-risk-man",
        "High-risk domestic abuse: a man of 41 in South Cambridgeshire",
        "DASH 15; needs an IDVA and a refuge place.",
        _profile(
            "E07000012",
            "domestic_abuse",
            {"domestic_abuse_advocacy": 3, "refuge": 3},
            age=41,
            sex="male",
            dash=15,
        ),
    ),
    Profile(
        "da-teenager",
        "Domestic abuse in a teenage relationship: 15, Fenland",
        "DASH 18; needs advocacy.",
        _profile("E07000010", "domestic_abuse", {"domestic_abuse_advocacy": 3}, age=15, dash=18),
    ),
    Profile(
        "burglary-older",
        "Burglary: a man of 78 in Huntingdonshire",
        "Needs his home made secure and someone to talk to.",
        _profile(
            "E07000011",
            "burglary",
            {"home_security": 2, "emotional_support": 2, "social": 1},
            age=78,
            sex="male",
        ),
    ),
    Profile(
        "sv-teenager",
        "Sexual violence: a girl of 15 in Peterborough, not reported",
        "Three days ago; needs an ISVA, emotional support and forensic care.",
        _profile(
            "E06000031",
            "sexual_violence",
            {"sexual_violence_advocacy": 3, "emotional_support": 2, "forensic_medical": 2},
            age=15,
            sex="female",
            reported=False,
            days_ago=3,
        ),
    ),
    Profile(
        "rtc-bereaved",
        "Bereaved by a road collision: a mother of 52 in East Cambridgeshire",
        "Her son died in a collision; needs bereavement and practical support.",
        _profile(
            "E07000009",
            "road_traffic_collision",
            {"bereavement_support": 3, "practical_support": 2, "finance": 1},
            age=52,
            sex="female",
            role="indirect",
            days_ago=10,
            flags=("bereaved",),
        ),
    ),
    Profile(
        "hate-crime",
        "Hate crime: a man of 28 in Peterborough, targeted repeatedly",
        "Needs hate crime advocacy and emotional support.",
        _profile(
            "E06000031",
            "hate_crime",
            {"hate_crime_advocacy": 2, "emotional_support": 2},
            age=28,
            sex="male",
            flags=("persistently_targeted",),
        ),
    ),
    Profile(
        "asb-witness",
        "Anti-social behaviour: a witness of 66 in Cambridge, going to court",
        "Needs court support and reassurance at home.",
        _profile(
            "E07000008",
            "anti_social_behaviour",
            {"court_support": 2, "home_security": 1},
            age=66,
            role="witness",
            court=True,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class GapReport:
    profile: Profile
    body: dict[str, Any]
    result: SearchResponse


def gaps(
    *,
    session: Session,
    cache: SnapshotCache,
    now: dt.datetime,
    area: str | None = None,
) -> list[GapReport]:
    """Each common profile, searched as ``POST /search`` would (in ``area`` when given)."""
    reports = []
    for profile in PROFILES:
        body = profile.build(now.date(), area)
        request = SearchRequest.model_validate(body)  # the profiles are fixed, and valid
        result = search.search(session=session, cache=cache, body=request, now=now)
        reports.append(GapReport(profile=profile, body=body, result=result))
    return reports


def _codes(values: Iterable[object] | None, table: dict[str, str]) -> str:
    if not values:
        return "any"
    return ", ".join(labels.word(table, v) for v in sorted(str(v) for v in values))


def limit_words(service: GraphService, check: str) -> str:
    """What the service's eligibility says about ``check``, in words ("ages 16 and over")."""
    e: Eligibility = service.eligibility
    if check == Check.AGE:
        if e.min_age is not None and e.max_age is not None:
            return f"ages {e.min_age} to {e.max_age}"
        if e.min_age is not None:
            return f"ages {e.min_age} and over"
        if e.max_age is not None:
            return f"ages up to {e.max_age}"
        return "any age"
    if check == Check.AREA:
        return _codes(e.areas, labels.AREAS)
    if check == Check.INCIDENT_KIND:
        return _codes(e.incident_kinds, labels.INCIDENT_KINDS)
    if check == Check.ROLE:
        return _codes(e.victim_roles, labels.ROLES)
    if check == Check.RISK_LEVEL:
        return "risk " + _codes(e.risk_levels, labels.RISK_LEVELS).lower()
    if check == Check.SEX:
        return _codes(e.sexes, labels.SEXES)
    if check == Check.POLICE_REPORT:
        return "only when reported to the police"
    if check == Check.DAYS_SINCE_INCIDENT:
        return f"within {e.max_days_since_incident} days of the incident"
    if check == Check.SELF_REFERRAL:
        return "professional referrals only"
    if check == Check.FLAGS:
        return "only with " + _codes(e.flags_any, labels.FLAGS).lower()
    if check == Check.COURT_CASE:
        return "only with a court case"
    if check == Check.SEVERITY:
        low = e.min_severity if e.min_severity is not None else 0
        high = e.max_severity if e.max_severity is not None else 3
        return f"needs of severity {low} to {high}"
    if check == Check.CAPACITY:
        return "closed to new handovers"
    if check == Check.ALTERNATIVES:
        return f"{len(e.any_of)} alternative criteria, none met"
    return labels.word(labels.CHECKS, check)
