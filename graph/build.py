"""The pathway graph: services and entry nodes joined by declared pathways, with indexes.

The graph is a networkx ``DiGraph`` kept inside ``PathwayGraph``; nothing outside graph/ sees it.
Indexes by (need, area) and by area let a plan look only at services that serve the victim's
area and meet one of their needs, however large the directory.

>>> from graph.codec import load_directory
>>> g = build_graph(load_directory())
>>> "idva-cambridgeshire" in g.candidates(Need.DOMESTIC_ABUSE_ADVOCACY, "E07000008")
True
>>> "idva-peterborough" in g.candidates(Need.DOMESTIC_ABUSE_ADVOCACY, "E07000008")
False
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import networkx as nx

from .model import Directory, Service
from .vocabulary import ENTRY_NODES, Need

ANY_AREA = "*"
"""Index key for services with no area restriction."""


class PathwayGraph:
    """A directory snapshot made ready for planning. Build once per directory version."""

    __slots__ = ("_by_area", "_by_need", "_by_need_area", "_g", "_succ", "services", "version")

    def __init__(self, directory: Directory) -> None:
        self.version = directory.version
        services = sorted(directory.services, key=lambda s: s.id)
        self.services: dict[str, Service] = {s.id: s for s in services}
        g: nx.DiGraph[str] = nx.DiGraph()
        for entry in ENTRY_NODES:
            g.add_node(entry)
        for s in services:
            g.add_node(s.id)
        for p in sorted(directory.pathways, key=lambda p: (p.from_node, p.to_service)):
            g.add_edge(p.from_node, p.to_service, days=p.days)
        self._g = g
        # Successor lists, sorted, as plain tuples: the planner walks these many times.
        self._succ: dict[str, tuple[tuple[str, float], ...]] = {
            node: tuple(sorted((t, float(d["days"])) for t, d in g.succ[node].items()))
            for node in g.nodes
        }
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

    def candidates(self, need: Need, area: str) -> tuple[str, ...]:
        """Services that list ``need`` and serve ``area`` (or every area), sorted by id."""
        local = self._by_need_area.get((need, area), ())
        everywhere = self._by_need_area.get((need, ANY_AREA), ())
        if not everywhere:
            return local
        if not local:
            return everywhere
        return tuple(sorted((*local, *everywhere)))

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

    def has_pathway(self, source: str, target: str) -> bool:
        return bool(self._g.has_edge(source, target))

    def pathway_days(self, source: str, target: str) -> float | None:
        if not self._g.has_edge(source, target):
            return None
        return float(self._g.edges[source, target]["days"])

    @property
    def node_count(self) -> int:
        return int(self._g.number_of_nodes())

    @property
    def edge_count(self) -> int:
        return int(self._g.number_of_edges())


def build_graph(directory: Directory) -> PathwayGraph:
    """Build the pathway graph of a directory snapshot."""
    return PathwayGraph(directory)
