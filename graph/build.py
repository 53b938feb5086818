"""The pathway graph: services and entry nodes joined by declared pathways, with indexes.

``PathwayGraph`` keeps the pathways as plain, sorted successor lists (the planner walks them
many times) and indexes by (need, area) and by area, so a plan looks only at services that serve
the victim's area and meet one of their needs, however large the directory. The networkx
``DiGraph`` of the same pathways is built on first use, for whole-graph questions; building it
for every directory version cost more than all the rest of a rebuild (bench/RESULTS.md). Nothing
outside graph/ sees either.

>>> from graph.codec import load_directory
>>> g = build_graph(load_directory())
>>> "idva-cambridgeshire" in g.candidates(Need.DOMESTIC_ABUSE_ADVOCACY, "E07000008")
True
>>> "idva-peterborough" in g.candidates(Need.DOMESTIC_ABUSE_ADVOCACY, "E07000008")
False
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import operator
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import networkx as nx

from .eligibility import CandidateRules, checks_of
from .model import Directory, Rejection, Service
from .vocabulary import ENTRY_NODES, CapacityStatus, IncidentKind, Need, Sex, VictimRole

ANY_AREA = "*"
"""Index key for services with no area restriction."""
WIDE_NODE = 64
"""A node with more successors than this also keeps them split by area."""
REACH_CACHE_SIZE = 1024
"""How many (source, area) searches a graph keeps, the least recently used going first: one
for each area and entry node of a national directory (660), and room for the variants that
leave out a service some victims cannot use. At 50,000 services an area search holds about
400 paths, so the cache stays under about 100 MB."""


@dataclass(frozen=True, slots=True)
class Reach:
    """The cheapest way to a service: total days, and the nodes from the source to it."""

    days: float
    path: tuple[str, ...]


Capacities = tuple[tuple[CapacityStatus, bool], tuple[CapacityStatus, bool], dt.datetime | None]
"""A service's capacity as the planner reads it: while fresh, once stale, and the instant after
which it is stale (None: work it out each time). See ``graph.plan.effective_capacity``."""


class Ranked:
    """The candidates for one need in one area, in order of preference, with what every plan
    asks of them worked out once per graph: their eligibility rules grouped
    (``CandidateRules``), which of them are closed (red), and each one's rejections.

    Position ``i`` (bit ``1 << i`` of a mask) is ``ids[i]``, the ``i``-th in order of preference.
    """

    __slots__ = (
        "_rejections",
        "by_id",
        "closed",
        "id_rank",
        "ids",
        "position",
        "rules",
        "specialists",
    )

    def __init__(self, services: Sequence[Service], need: Need | None) -> None:
        self.ids: tuple[str, ...] = tuple(s.id for s in services)
        self.position: dict[str, int] = {sid: i for i, sid in enumerate(self.ids)}
        self.rules = CandidateRules(services, need)
        red = CapacityStatus.RED
        self.closed = sum(1 << i for i, s in enumerate(services) if s.capacity.status is red)
        # Asked of every usable candidate of every plan: a set here is one probe, where the
        # services themselves are scattered over a large directory's memory.
        self.specialists: frozenset[str] = frozenset(
            s.id for s in services if need is not None and need in s.specialisms
        )
        # The positions in order of service id (the order rejections are listed in), and
        # each position's place in that order.
        self.by_id: tuple[int, ...] = tuple(sorted(range(len(self.ids)), key=self.ids.__getitem__))
        rank = [0] * len(self.ids)
        for i, pos in enumerate(self.by_id):
            rank[pos] = i
        self.id_rank: tuple[int, ...] = tuple(rank)
        self._rejections: dict[int, Rejection] = {}

    def rejections(self, positions: Sequence[int], failed: Iterable[int]) -> list[Rejection]:
        """The rejection of the candidate at each of ``positions`` for the checks of the
        matching set in ``failed`` (sets of ``CHECK_BITS``): one object per candidate and set
        of checks, made on first use and shared by every plan."""
        n = len(self.ids)
        keys = list(map(operator.add, map(operator.mul, failed, itertools.repeat(n)), positions))
        known = self._rejections
        out = list(map(known.get, keys))
        # ``all``, not ``None in out``: ``in`` compares with ``==``, a dataclass's Python-level
        # ``__eq__`` per rejection; truth needs no call.
        if not all(out):
            for i, key in enumerate(keys):
                if out[i] is None:
                    bits, pos = divmod(key, n)
                    out[i] = known[key] = Rejection(self.ids[pos], checks_of(bits))
        return cast("list[Rejection]", out)  # no None left


class PathwayGraph:
    """A directory snapshot made ready for planning. Build once per directory version.

    Safe to share between threads: its caches (the candidates of each need in an area in order
    of preference, and the cheapest pathways from each source within an area) fill on first use,
    and an entry, once there, is never changed (two threads may both compute one: the same).
    """

    __slots__ = (
        "_by_area",
        "_by_need",
        "_by_need_area",
        "_edges",
        "_g",
        "_in_area",
        "_lock",
        "_min_in_days",
        "_preferred",
        "_reach_cache",
        "_succ",
        "_succ_by_area",
        "_succ_in",
        "_targeting",
        "capacities",
        "fixed_costs",
        "services",
        "version",
    )

    def __init__(self, directory: Directory) -> None:
        self.version = directory.version
        services = sorted(directory.services, key=lambda s: s.id)
        self.services: dict[str, Service] = {s.id: s for s in services}
        edges = {(p.from_node, p.to_service): float(p.days) for p in directory.pathways}
        self._edges = edges
        self._g: nx.DiGraph[str] | None = None
        succ: defaultdict[str, list[tuple[str, float]]] = defaultdict(list)
        min_in: dict[str, float] = {}
        for (a, b), days in edges.items():
            succ[a].append((b, days))
            if days < min_in.get(b, math.inf):
                min_in[b] = days
        # Successor lists, sorted, as plain tuples: the planner walks these many times.
        self._succ: dict[str, tuple[tuple[str, float], ...]] = {
            node: tuple(sorted(out)) for node, out in succ.items()
        }
        self._min_in_days = min_in
        # A node with many successors (an entry node, a hub's triage) also has them split by
        # the area they serve, so a search inside one area never walks the whole country;
        # split on first use (``successors_in``), so a rebuild does not pay for nodes no plan
        # reaches.
        self._succ_by_area: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {}
        # And per node and area, as searches of that area ask for them.
        self._succ_in: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {}
        by_need_area: defaultdict[tuple[Need, str], list[str]] = defaultdict(list)
        by_area: defaultdict[str, list[str]] = defaultdict(list)
        by_need: defaultdict[Need, list[str]] = defaultdict(list)
        for s in services:
            for need in s.needs:
                by_need[need].append(s.id)
            areas: Iterable[str] = (
                sorted(s.eligibility.areas) if s.eligibility.areas is not None else (ANY_AREA,)
            )
            for area in areas:
                by_area[area].append(s.id)
                for need in s.needs:
                    by_need_area[(need, area)].append(s.id)
        self._by_need_area = {k: tuple(v) for k, v in by_need_area.items()}
        self._by_area = {k: tuple(v) for k, v in by_area.items()}
        self._by_need = {k: tuple(v) for k, v in by_need.items()}
        self._lock = threading.Lock()
        self._preferred: dict[tuple[Need, str], Ranked] = {}
        self._targeting: dict[str, float] = {}
        self.fixed_costs: dict[str, int] = {}
        """The part of each service's cost in a plan that is the same for every victim,
        filled by ``graph.plan`` on first use."""
        self.capacities: dict[str, Capacities] = {}
        """Each service's capacity as the planner reads it (``graph.plan.Capacities``),
        filled by ``graph.plan`` on first use."""
        self._in_area: dict[str, Ranked] = {}
        self._reach_cache: OrderedDict[tuple[str, str, frozenset[str]], PathSearch] = OrderedDict()

    def candidates(self, need: Need, area: str) -> tuple[str, ...]:
        """Services that list ``need`` and serve ``area`` (or every area), sorted by id."""
        local = self._by_need_area.get((need, area), ())
        everywhere = self._by_need_area.get((need, ANY_AREA), ())
        if not everywhere:
            return local
        if not local:
            return everywhere
        return tuple(sorted((*local, *everywhere)))

    def is_candidate(self, service_id: str, need: Need, area: str) -> bool:
        """Does the service list ``need`` and serve ``area``?"""
        service = self.services.get(service_id)
        if service is None or need not in service.needs:
            return False
        areas = service.eligibility.areas
        return areas is None or area in areas

    def with_need(self, need: Need) -> tuple[str, ...]:
        """Every service listing ``need``, in any area, sorted by id."""
        return self._by_need.get(need, ())

    def in_area(self, area: str) -> tuple[str, ...]:
        """Every service serving ``area`` (or every area), sorted by id."""
        local = self._by_area.get(area, ())
        everywhere = self._by_area.get(ANY_AREA, ())
        return tuple(sorted((*local, *everywhere)))

    def successors(self, node: str) -> tuple[tuple[str, float], ...]:
        """``(service_id, days)`` for each pathway out of ``node``, sorted by id."""
        return self._succ.get(node, ())

    def successors_in(self, node: str, area: str) -> Iterable[tuple[str, float]]:
        """``(service_id, days)`` for each pathway out of ``node`` to a service serving
        ``area`` (or every area)."""
        key = (node, area)
        found = self._succ_in.get(key)
        if found is None:
            out = self._succ.get(node, ())
            if len(out) <= WIDE_NODE:
                services = self.services
                found = tuple(
                    pair
                    for pair in out
                    if (areas := services[pair[0]].eligibility.areas) is None or area in areas
                )
                if len(found) == len(out):
                    found = out  # the same, and kept once
            else:
                split = self._succ_by_area.get(node)
                if split is None:
                    split = self._succ_by_area[node] = self._split_by_area(out)
                found = (*split.get(area, ()), *split.get(ANY_AREA, ()))
            # Two threads may both work one out: the same result, and the assignment is atomic.
            self._succ_in[key] = found
        return found

    def _split_by_area(
        self, out: tuple[tuple[str, float], ...]
    ) -> dict[str, tuple[tuple[str, float], ...]]:
        split: defaultdict[str, list[tuple[str, float]]] = defaultdict(list)
        for target, days in out:
            served = self.services[target].eligibility.areas
            for area in served if served is not None else (ANY_AREA,):
                split[area].append((target, days))
        return {a: tuple(v) for a, v in split.items()}

    def targeting(self, service_id: str) -> float:
        """``targeting`` of a service, worked out once per graph."""
        found = self._targeting.get(service_id)
        if found is None:
            found = self._targeting[service_id] = targeting(self.services[service_id])
        return found

    def min_in_days(self, service_id: str) -> float:
        """The shortest declared pathway into a service (infinite when none leads to it)."""
        return self._min_in_days.get(service_id, math.inf)

    def preferred(
        self, need: Need, area: str, key: Callable[[Service], tuple[object, ...]]
    ) -> tuple[str, ...]:
        """The candidates for ``need`` in ``area`` sorted by ``key`` (which must depend only on
        the service and ``need``), computed once per graph and (need, area)."""
        return self.ranked(need, area, key).ids

    def ranked(self, need: Need, area: str, key: Callable[[Service], tuple[object, ...]]) -> Ranked:
        """``preferred`` with the candidates' rules ready to check (``Ranked``), computed once
        per graph and (need, area)."""
        cached = self._preferred.get((need, area))
        if cached is None:
            services = self.services
            ordered = sorted((services[s] for s in self.candidates(need, area)), key=key)
            cached = self._preferred[(need, area)] = Ranked(ordered, need)
        return cached

    def in_area_ranked(self, area: str) -> Ranked:
        """Every service serving ``area`` (``in_area``) with their rules ready to check for a
        victim alone (``CandidateRules`` with no need), computed once per graph and area."""
        cached = self._in_area.get(area)
        if cached is None:
            services = self.services
            cached = self._in_area[area] = Ranked([services[s] for s in self.in_area(area)], None)
        return cached

    def reach_to(
        self, source: str, area: str, target: str, avoid: frozenset[str] = frozenset()
    ) -> Reach | None:
        """The cheapest declared pathway from ``source`` to ``target`` through services serving
        ``area`` (and none of ``avoid``), whoever the victim is; None when there is none.

        Closed (red) services are left out: they are never on a victim's path. Ties go as in
        ``PathSearch``. The planner uses these as they are when every service along a path can
        work with the victim, and asks again, avoiding the ones that cannot, otherwise.

        One search per (source, area, avoid) serves every victim: it goes only as far as the
        targets asked of it so far, and is kept for the ``REACH_CACHE_SIZE`` most recently
        used. Searches are advanced under the graph's lock (one thread at a time).
        """
        return self.settle(self.shared_search(source, area, avoid), target)

    def shared_search(
        self, source: str, area: str, avoid: frozenset[str] = frozenset()
    ) -> PathSearch:
        """The search ``reach_to`` asks (kept for the ``REACH_CACHE_SIZE`` most recently
        used); ask it with ``settle``. A planner holds on to the searches it uses for one plan,
        so that each costs it one look-up here."""
        key = (source, area, avoid)
        with self._lock:
            search = self._reach_cache.get(key)
            if search is None:
                services = self.services
                red = CapacityStatus.RED
                search = PathSearch(
                    self,
                    [source],
                    area,
                    lambda sid: sid not in avoid and services[sid].capacity.status is not red,
                )
                self._reach_cache[key] = search
                while len(self._reach_cache) > REACH_CACHE_SIZE:
                    self._reach_cache.popitem(last=False)
            else:
                self._reach_cache.move_to_end(key)
            return search

    def settle(self, search: PathSearch, target: str) -> Reach | None:
        """The cheapest path to ``target`` of a ``shared_search``, advancing it under the
        graph's lock when it has not got there yet (its settled paths never change)."""
        found = search.best.get(target)
        if found is None:
            with self._lock:
                found = search.get(target)
        return found

    def has_pathway(self, source: str, target: str) -> bool:
        return (source, target) in self._edges

    def pathway_days(self, source: str, target: str) -> float | None:
        return self._edges.get((source, target))

    def digraph(self) -> nx.DiGraph[str]:
        """The pathways as a networkx ``DiGraph`` (edge attribute ``days``), built on first use.
        For graph/'s own whole-graph questions; never handed outside graph/."""
        with self._lock:
            if self._g is None:
                g: nx.DiGraph[str] = nx.DiGraph()
                g.add_nodes_from(ENTRY_NODES)
                g.add_nodes_from(self.services)
                g.add_edges_from((a, b, {"days": d}) for (a, b), d in self._edges.items())
                self._g = g
            return self._g

    @property
    def node_count(self) -> int:
        return len(ENTRY_NODES) + len(self.services)

    @property
    def edge_count(self) -> int:
        return len(self._edges)


class PathSearch:
    """Dijkstra from ``sources`` (ranked in the order given, each at distance 0) through the
    services serving ``area`` that ``allowed`` lets through, run only as far as the questions
    asked of it need. On equal days the path with fewer handovers wins (the victim tells
    their story to fewer people), then the earlier source, then the path whose ids sort first.

    ``allowed`` is asked about a service only when the search reaches it as the nearest
    unsettled one, so a search that stops early asks about few services.
    """

    __slots__ = ("_allowed", "_area", "_graph", "_heap", "_tentative", "best")

    def __init__(
        self,
        graph: PathwayGraph,
        sources: Iterable[str],
        area: str,
        allowed: Callable[[str], bool],
    ) -> None:
        self._graph = graph
        self._area = area
        self._allowed = allowed
        self._heap: list[tuple[float, int, int, tuple[str, ...]]] = [
            (0.0, 0, rank, (src,)) for rank, src in enumerate(sources)
        ]
        heapq.heapify(self._heap)
        self._tentative: dict[str, tuple[float, int, int, tuple[str, ...]]] = {}
        self.best: dict[str, Reach] = {}

    def get(self, target: str) -> Reach | None:
        """The cheapest path to ``target``, searching on until it is settled (or none is)."""
        best, heap = self.best, self._heap
        while target not in best and heap:
            self._step()
        return best.get(target)

    def run(self) -> dict[str, Reach]:
        """Search to the end: the cheapest path to every service the sources reach."""
        while self._heap:
            self._step()
        return self.best

    def _step(self) -> None:
        best, tentative = self.best, self._tentative
        days, hops, rank, path = heapq.heappop(self._heap)
        node = path[-1]
        if node in best or (hops and not self._allowed(node)):
            return
        best[node] = Reach(days, path)
        for target, step in self._graph.successors_in(node, self._area):
            if target in best:
                continue
            entry = (days + step, hops + 1, rank, (*path, target))
            known = tentative.get(target)
            if known is None or entry < known:
                tentative[target] = entry
                heapq.heappush(self._heap, entry)


def shortest_paths(
    graph: PathwayGraph, sources: Iterable[str], area: str, allowed: Callable[[str], bool]
) -> dict[str, Reach]:
    """Every cheapest path of a ``PathSearch``, searched to the end."""
    return PathSearch(graph, sources, area, allowed).run()


def static_status_rank(service: Service) -> int:
    """Open services before waiting lists before closed ones (as the directory says)."""
    return _STATUS_RANK[service.capacity.status]


_STATUS_RANK = {CapacityStatus.GREEN: 0, CapacityStatus.AMBER: 1, CapacityStatus.RED: 2}


def targeting(service: Service) -> float:
    """How narrowly a service is aimed, from 0 (anyone) to 4: one point per dimension (age,
    incident kinds, victim roles, sexes), less the share of that dimension it still takes."""
    e = service.eligibility
    score = 0.0
    if e.min_age is not None or e.max_age is not None:
        score += 1 - ((e.max_age if e.max_age is not None else 120) - (e.min_age or 0)) / 121
    for chosen, universe in (
        (e.incident_kinds, len(IncidentKind)),
        (e.victim_roles, len(VictimRole)),
        (e.sexes, len(Sex)),
    ):
        if chosen is not None:
            score += 1 - len(chosen) / universe
    return score


def build_graph(directory: Directory) -> PathwayGraph:
    """Build the pathway graph of a directory snapshot."""
    return PathwayGraph(directory)
