"""Reassessment on the shipped directory: warm handover from the current lead, warm release."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from graph import (
    Capacity,
    CurrentHandover,
    Directory,
    Eligibility,
    Pathway,
    PathwayGraph,
    Service,
    build_graph,
    load_directory,
    reassess,
    releases_due,
)
from graph.vocabulary import CapacityStatus, HandoverStatus, Need, VictimRole

from .helpers import NOW, PETERBOROUGH, fresh, referral, shipped_graph

IN_PROGRESS = HandoverStatus.IN_PROGRESS


@pytest.fixture(scope="module")
def g() -> PathwayGraph:
    return shipped_graph()


def vs_enhanced_lead(status: HandoverStatus = IN_PROGRESS) -> CurrentHandover:
    return CurrentHandover(
        "victim-support-enhanced", "entry:police", (Need.EMOTIONAL_SUPPORT,), status, lead=True
    )


def escalated(**victim: Any) -> Any:
    return referral(
        victim={"sex": "male", **victim},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 16, "needs": {"emotional_support": 0}},
    )


def test_escalation_hands_over_from_the_current_lead_and_releases_after_first_contact(
    g: PathwayGraph,
) -> None:
    result = reassess(g, escalated(), [vs_enhanced_lead()], now=NOW)
    diff = result.diff
    assert [(h.service_id, h.from_node, h.status) for h in diff.start] == [
        ("idva-cambridgeshire", "victim-support-enhanced", HandoverStatus.REQUESTED)
    ]
    assert diff.lead_before == "victim-support-enhanced"
    assert diff.lead_after == "idva-cambridgeshire"
    [release] = diff.release
    assert release.service_id == "victim-support-enhanced"
    assert release.after == ("idva-cambridgeshire",)
    assert release.acting_lead
    assert "emotional_support" in release.reason

    # The release waits for the IDVA's first contact, and happens then.
    case = [
        dataclasses.replace(vs_enhanced_lead(), release_after=release.after),
        CurrentHandover(
            "idva-cambridgeshire",
            "victim-support-enhanced",
            (Need.DOMESTIC_ABUSE_ADVOCACY,),
            HandoverStatus.ACCEPTED,
        ),
    ]
    assert releases_due(case) == ()
    case[1] = dataclasses.replace(case[1], status=IN_PROGRESS)
    assert releases_due(case) == ("victim-support-enhanced",)


def test_an_unchanged_assessment_changes_nothing(g: PathwayGraph) -> None:
    r = referral(incident={"kind": "burglary"}, assessment={"needs": {"emotional_support": 2}})
    first = reassess(g, r, [], now=NOW).plan
    current = [
        CurrentHandover(h.service_id, h.from_node, h.needs, IN_PROGRESS, lead=h.lead)
        for h in first.handovers
    ]
    again = reassess(g, r, current, now=NOW)
    assert again.diff.start == () and again.diff.release == ()
    assert {k.service_id for k in again.diff.keep} == set(first.service_ids)


def test_current_providers_are_kept_where_they_still_fit(g: PathwayGraph) -> None:
    # Triage meets emotional support now; a new need for practical support is added. Triage
    # also lists practical support, so it keeps both rather than bringing in someone new.
    current = [
        CurrentHandover(
            "victim-support-triage",
            "entry:police",
            (Need.EMOTIONAL_SUPPORT,),
            IN_PROGRESS,
            lead=True,
        )
    ]
    r = referral(
        incident={"kind": "theft"},
        assessment={"needs": {"emotional_support": 1, "practical_support": 1}},
    )
    diff = reassess(g, r, current, now=NOW).diff
    assert diff.start == ()
    assert [(k.service_id, k.needs) for k in diff.keep] == [
        ("victim-support-triage", (Need.EMOTIONAL_SUPPORT, Need.PRACTICAL_SUPPORT))
    ]


def test_a_decline_reroutes_to_the_next_best_service(g: PathwayGraph) -> None:
    current = [
        CurrentHandover(
            "idva-cambridgeshire",
            "entry:police",
            (Need.DOMESTIC_ABUSE_ADVOCACY,),
            HandoverStatus.DECLINED,
            lead=True,
        ),
    ]
    female = referral(
        victim={"sex": "female"},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 18, "needs": {}},
    )
    result = reassess(g, female, current, now=NOW)
    assert [h.service_id for h in result.diff.start] == ["womens-aid-refuge"]
    male = referral(
        victim={"sex": "male"},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 18, "needs": {}},
    )
    result = reassess(g, male, current, now=NOW)
    assert result.diff.start == ()
    [unmet] = result.plan.unmet
    reasons = {r.service_id: [c.value for c in r.failed] for r in unmet.reasons}
    assert reasons["idva-cambridgeshire"] == ["declined"]


def test_a_high_risk_victim_keeps_an_acting_lead_when_nothing_else_can_lead() -> None:
    directory = fresh(load_directory())
    red = tuple(
        dataclasses.replace(s, capacity=dataclasses.replace(s.capacity, status=CapacityStatus.RED))
        if s.id == "idva-peterborough"
        else s
        for s in directory.services
    )
    g = build_graph(dataclasses.replace(directory, services=red))
    current = [
        CurrentHandover(
            "idva-cambridgeshire",
            "entry:police",
            (Need.DOMESTIC_ABUSE_ADVOCACY,),
            IN_PROGRESS,
            lead=True,
        )
    ]
    moved = escalated(area=PETERBOROUGH)  # moved out of the Cambridgeshire IDVAs' area
    result = reassess(g, moved, current, now=NOW)
    assert result.plan.lead == "idva-cambridgeshire"
    assert result.diff.release == ()
    acting = result.plan.handover("idva-cambridgeshire")
    assert acting is not None and "acting lead" in acting.explanation.summary


def test_moving_area_hands_over_to_the_new_areas_idva(g: PathwayGraph) -> None:
    current = [
        CurrentHandover(
            "idva-cambridgeshire",
            "entry:police",
            (Need.DOMESTIC_ABUSE_ADVOCACY,),
            IN_PROGRESS,
            lead=True,
        )
    ]
    result = reassess(g, escalated(area=PETERBOROUGH), current, now=NOW)
    assert result.plan.lead == "idva-peterborough"
    [release] = result.diff.release
    assert release.service_id == "idva-cambridgeshire"
    assert release.after == ("idva-peterborough",)
    assert "area" in release.reason


def test_a_proposed_handover_no_longer_needed_is_dropped_at_once(g: PathwayGraph) -> None:
    current = [
        vs_enhanced_lead(),
        CurrentHandover(
            "bobby-scheme",
            "victim-support-enhanced",
            (Need.HOME_SECURITY,),
            HandoverStatus.PROPOSED,
        ),
    ]
    r = referral(
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 3, "needs": {"emotional_support": 2}},
    )
    diff = reassess(g, r, current, now=NOW).diff
    assert [(x.service_id, x.after) for x in diff.release] == [("bobby-scheme", ())]


def test_the_service_already_meeting_a_need_keeps_it() -> None:
    # A coordinator that also lists the need must not take it from the service meeting it.
    da, home = Need.DOMESTIC_ABUSE_ADVOCACY, Need.ACCOMMODATION
    services = (
        Service("advocate", "p", "Advocate", (da,)),
        # Aimed at fewer people, so it would win a tie for the need on cost alone.
        Service(
            "coordinator",
            "p",
            "Coordinator",
            (Need.SOCIAL, da),
            eligibility=Eligibility(victim_roles=frozenset({VictimRole.DIRECT})),
        ),
        Service("housing", "p", "Housing", (home,)),
    )
    fresh_at = NOW - dt.timedelta(hours=1)
    services = tuple(
        dataclasses.replace(s, capacity=Capacity(CapacityStatus.GREEN, 5, 10, fresh_at))
        for s in services
    )
    pathways = (
        Pathway("entry:police", "advocate"),
        Pathway("entry:police", "coordinator"),
        Pathway("coordinator", "housing"),
    )
    g = build_graph(Directory("t", services, pathways))
    r = referral(
        incident={"kind": "theft"},
        assessment={"needs": {"domestic_abuse_advocacy": 1, "accommodation": 1}},
    )
    current = [
        CurrentHandover("advocate", "entry:police", (da,), IN_PROGRESS, lead=True),
        CurrentHandover("coordinator", "entry:police", (), IN_PROGRESS),
        CurrentHandover("housing", "coordinator", (home,), IN_PROGRESS),
    ]
    diff = reassess(g, r, current, now=NOW).diff
    assert diff.release == ()
    assert {(k.service_id, k.needs) for k in diff.keep} >= {("advocate", (da,))}
