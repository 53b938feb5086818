"""Search: the eligible services for a victim profile and needs, ranked, and the near misses.

``gaps`` are the services that fail exactly one check for this profile: where a small change
(an age limit, an area, capacity) would let a service help. Commissioners read these.

>>> import datetime as dt
>>> from graph.build import build_graph
>>> from graph.codec import load_directory, referral_from_dict
>>> g = build_graph(load_directory())
>>> body = {"source": {"kind": "police"}, "victim": {"age": 15, "area": "E07000010"},
...         "incident": {"kind": "domestic_abuse"},
...         "assessment": {"dash_score": 18, "needs": {"domestic_abuse_advocacy": 3}}}
>>> result = search(g, referral_from_dict(body, today=dt.date(2026, 11, 26)),
...                 as_of=dt.date(2026, 11, 26))
>>> [(x.service_id, [c.value for c in x.failed]) for x in result.gaps][:1]
[('idva-cambridgeshire', ['age'])]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .build import PathwayGraph
from .eligibility import check, context, needs_to_meet
from .model import Referral, Rejection
from .plan import effective_capacity
from .vocabulary import CapacityStatus, Check, Need


@dataclass(frozen=True, slots=True)
class SearchHit:
    service_id: str
    needs_met: tuple[Need, ...]
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    results: tuple[SearchHit, ...]
    gaps: tuple[Rejection, ...]


_ORDER = {c: i for i, c in enumerate(Check)}


def search(
    graph: PathwayGraph,
    referral: Referral,
    *,
    as_of: dt.date,
    now: dt.datetime | None = None,
) -> SearchResult:
    """Rank the services eligible for the profile; list those that fail exactly one check.

    A service's score adds the severity of each need it can meet (doubled where it specialises
    in it); amber (or stale, when ``now`` is given) loses a quarter. With no need of severity
    1+, every service serving the area is checked for the victim alone. Red, refused services and
    any check failed count as failures; pathways are not considered (this is a directory search,
    not a plan).
    """
    ctx = context(referral, as_of=as_of)
    needs = needs_to_meet(ctx)
    victim = referral.victim
    severity = ctx.severity
    services = graph.services

    def blocked(sid: str) -> set[Check]:
        out: set[Check] = set()
        service = services[sid]
        status = effective_capacity(service, now)[0] if now is not None else service.capacity.status
        if status is CapacityStatus.RED:
            out.add(Check.CAPACITY)
        if sid in victim.refused_services:
            out.add(Check.REFUSED)
        return out

    hits: list[SearchHit] = []
    gaps: list[Rejection] = []
    if not needs:
        for sid in graph.in_area(victim.area):
            failed = set(check(services[sid], ctx).failed) | blocked(sid)
            if not failed:
                hits.append(SearchHit(sid, (), 0.0))
            elif len(failed) == 1:
                gaps.append(Rejection(sid, tuple(failed)))
        return SearchResult(tuple(hits), tuple(gaps))

    # Every service listing a need, wherever it is: one that fails only on area is a gap too.
    for sid in sorted({sid for n in needs for sid in graph.with_need(n)}):
        service = services[sid]
        block = blocked(sid)
        met: list[Need] = []
        best_failed: set[Check] | None = None
        for need in needs:
            if need not in service.needs:
                continue
            failed = set(check(service, ctx, need).failed) | block
            if not failed:
                met.append(need)
            elif best_failed is None or len(failed) < len(best_failed):
                best_failed = failed
        if met:
            score = float(sum(severity(n) * (2 if n in service.specialisms else 1) for n in met))
            status = (
                effective_capacity(service, now)[0] if now is not None else service.capacity.status
            )
            if status is CapacityStatus.AMBER:
                score *= 0.75
            hits.append(SearchHit(sid, tuple(met), score))
        elif best_failed is not None and len(best_failed) == 1:
            gaps.append(Rejection(sid, tuple(sorted(best_failed, key=_ORDER.__getitem__))))
    hits.sort(key=lambda h: (-h.score, h.service_id))
    return SearchResult(tuple(hits), tuple(gaps))
