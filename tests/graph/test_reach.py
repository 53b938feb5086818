"""The planner's pathways come from paths the graph shares between victims (graph.build
``reach_to``), checked against the victim: they must be exactly what a search through the
services this victim can use finds (the oracle below), path and all, whoever the victim is and
whoever they are already with.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.build import build_graph, shortest_paths
from graph.model import (
    Assessment,
    Capacity,
    CurrentHandover,
    Directory,
    Eligibility,
    Incident,
    Pathway,
    Referral,
    Service,
    Victim,
)
from graph.plan import _Planner
from graph.vocabulary import (
    CapacityStatus,
    HandoverStatus,
    IncidentKind,
    Need,
    Severity,
    SourceKind,
)

from .strategies import NOW, Scenario, scenarios

ACTIVE = [HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS]


@given(scenarios(min_services=4, max_services=25), st.data())
@settings(max_examples=max(20, settings.default.max_examples // 2))
def test_shared_paths_give_exactly_the_victims_own_search(
    scn: Scenario, data: st.DataObject
) -> None:
    graph = build_graph(scn.directory)
    ids = sorted(graph.services)
    with_now = data.draw(st.lists(st.sampled_from(ids), max_size=3, unique=True), label="with")
    current = [
        CurrentHandover(
            service_id=sid,
            from_node="entry:police",
            needs=graph.services[sid].needs[:1],
            status=data.draw(
                st.sampled_from([HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS])
            ),
            lead=i == 0,
        )
        for i, sid in enumerate(with_now)
    ]
    planner = _Planner(graph, scn.referral, now=NOW, current=current)
    oracle = shortest_paths(graph, planner.sources, planner.area, planner.usable)
    # Ask in a drawn order: the answers must not depend on which service was asked first.
    order = data.draw(st.permutations(graph.in_area(planner.area)), label="order")
    for sid in order:
        if not planner.usable(sid):
            continue
        assert planner.reach(sid) == oracle.get(sid), sid


def test_a_closed_hub_or_one_the_victim_cannot_use_sends_them_the_long_way_round() -> None:
    """Red services are left out of the shared paths, and so is, for this victim, a service
    they cannot use: the next cheapest path is the victim's."""
    fresh = NOW - dt.timedelta(hours=1)

    def service(
        sid: str, status: CapacityStatus = CapacityStatus.GREEN, min_age: int | None = None
    ) -> Service:
        return Service(
            id=sid,
            provider_id="p",
            name=sid,
            needs=(Need.EMOTIONAL_SUPPORT,),
            eligibility=Eligibility(min_age=min_age),
            capacity=Capacity(status=status, available=5, maximum=10, updated=fresh),
        )

    directory = Directory(
        version="1",
        services=(
            service("hub", CapacityStatus.RED),
            service("older", min_age=65),
            service("local"),
            service("target"),
        ),
        pathways=(
            Pathway("entry:police", "older", 0.25),
            Pathway("older", "target", 0.25),
            Pathway("entry:police", "hub", 0.5),
            Pathway("hub", "target", 0.5),
            Pathway("entry:police", "local", 1.0),
            Pathway("local", "target", 0.5),
            Pathway("entry:police", "target", 3.0),
        ),
    )
    referral = Referral(
        source=SourceKind.POLICE,
        victim=Victim(area="E07000008", age=30, consent_to_share=True),
        incident=Incident(kind=IncidentKind.THEFT),
        assessment=Assessment(needs={Need.EMOTIONAL_SUPPORT: Severity.LOW}),
    )
    graph = build_graph(directory)
    shared = graph.reach_to("entry:police", "E07000008", "target")
    assert shared is not None
    assert shared.path == (
        "entry:police",
        "older",
        "target",
    )
    planner = _Planner(graph, referral, now=NOW, current=())
    reach = planner.reach("target")
    assert reach is not None
    assert reach.path == ("entry:police", "local", "target")
    assert reach.days == 1.5


def test_the_networkx_view_holds_the_same_pathways() -> None:
    """graph/'s whole-graph view (built on first use) has every pathway, with its days."""
    from graph.codec import load_directory  # noqa: PLC0415

    directory = load_directory()
    graph = build_graph(directory)
    view = graph.digraph()
    assert view is graph.digraph()  # built once
    assert view.number_of_edges() == graph.edge_count == len(directory.pathways)
    assert view.number_of_nodes() == graph.node_count
    for p in directory.pathways:
        assert view.edges[p.from_node, p.to_service]["days"] == graph.pathway_days(
            p.from_node, p.to_service
        )
