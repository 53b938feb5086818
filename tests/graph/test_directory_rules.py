"""DIRECTORY.md "Rules the plan must follow", each on the shipped directory, in every area."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from graph import PathwayGraph, build_graph, canonical_json, load_directory, plan_to_dict
from graph.risk import assess_risk
from graph.vocabulary import CapacityStatus, HandoverMode, MaracCriterion, RiskLevel

from .helpers import (
    ALL_AREAS,
    CAMBS_DISTRICTS,
    NOW,
    PETERBOROUGH,
    TODAY,
    fresh,
    met_by,
    plan_for,
    referral,
    shipped_graph,
)

HOUSING = {
    "E07000008": "housing-cambridge",
    "E07000009": "housing-east-cambridgeshire",
    "E07000010": "housing-fenland",
    "E07000011": "housing-huntingdonshire",
    "E07000012": "housing-south-cambridgeshire",
    "E06000031": "housing-peterborough",
}


def county(area: str) -> str:
    return "peterborough" if area == PETERBOROUGH else "cambridgeshire"


@pytest.fixture(scope="module")
def g() -> PathwayGraph:
    return shipped_graph()


# ---------------------------------------------------------------- high-risk domestic abuse


@pytest.mark.parametrize("area", ALL_AREAS)
def test_high_risk_domestic_abuse_is_led_by_the_areas_idva(g: PathwayGraph, area: str) -> None:
    plan = plan_for(
        g,
        victim={"area": area, "sex": "female"},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 17, "needs": {"emotional_support": 2, "accommodation": 2}},
    )
    assert plan.lead == f"idva-{county(area)}"
    assert met_by(plan)["domestic_abuse_advocacy"] == f"idva-{county(area)}"
    assert met_by(plan)["accommodation"] == HOUSING[area]
    lead = plan.handover(plan.lead)
    assert lead is not None and lead.lead and lead.explanation.role == "lead"
    assert [i.need.value for i in plan.implied] == ["domestic_abuse_advocacy"]


@pytest.mark.parametrize(
    ("assessment", "criterion"),
    [
        ({"dash_score": 14}, MaracCriterion.SCORE),
        ({"dash_score": 6, "risk_level": "high"}, MaracCriterion.PROFESSIONAL_JUDGEMENT),
        ({"risk_level": "high"}, MaracCriterion.PROFESSIONAL_JUDGEMENT),
        ({"dash_score": 4, "incidents_last_12_months": 3}, MaracCriterion.ESCALATION),
        ({"dash_score": 4, "last_marac_referral_on": "2026-02-01"}, MaracCriterion.REPEAT),
    ],
)
def test_marac_is_due_naming_the_criterion(
    g: PathwayGraph, assessment: dict[str, object], criterion: MaracCriterion
) -> None:
    r = referral(
        victim={"area": "E07000011"},
        incident={"kind": "domestic_abuse", "occurred_on": "2026-11-20"},
        assessment={"needs": {"domestic_abuse_advocacy": 3}, **assessment},
    )
    risk = assess_risk(r, as_of=TODAY)
    assert risk.level is RiskLevel.HIGH, "escalation and repeat make the risk high"
    assert risk.marac is not None and risk.marac.due
    assert risk.marac.criterion is criterion
    plan = plan_for(
        g,
        victim={"area": "E07000011"},
        incident={"kind": "domestic_abuse", "occurred_on": "2026-11-20"},
        assessment={"needs": {"domestic_abuse_advocacy": 3}, **assessment},
    )
    assert plan.lead == "idva-cambridgeshire"


@pytest.mark.parametrize(
    "assessment",
    [
        {"dash_score": 13},
        {"dash_score": 4, "incidents_last_12_months": 2},
        {"dash_score": 4, "last_marac_referral_on": "2025-10-01"},  # over 12 months before
    ],
)
def test_no_marac_below_the_thresholds(assessment: dict[str, object]) -> None:
    r = referral(
        incident={"kind": "domestic_abuse", "occurred_on": "2026-11-20"},
        assessment={"needs": {"emotional_support": 2}, **assessment},
    )
    risk = assess_risk(r, as_of=TODAY)
    assert risk.marac is None
    assert risk.level is not RiskLevel.HIGH


def test_judgement_may_raise_never_lower_the_score() -> None:
    r = referral(
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 16, "risk_level": "standard", "needs": {}},
    )
    risk = assess_risk(r, as_of=TODAY)
    assert risk.level is RiskLevel.HIGH
    assert risk.marac is not None and risk.marac.criterion is MaracCriterion.SCORE
    assert any("never lower" in note for note in risk.notes)


# ---------------------------------------------------------------- standard / medium DA


@pytest.mark.parametrize("area", ALL_AREAS)
@pytest.mark.parametrize("dash", [3, 11])
def test_standard_and_medium_domestic_abuse_is_led_by_victim_support(
    g: PathwayGraph, area: str, dash: int
) -> None:
    plan = plan_for(
        g,
        victim={"area": area, "sex": "male"},
        incident={"kind": "domestic_abuse"},
        assessment={
            "dash_score": dash,
            "needs": {"emotional_support": 2, "practical_support": 1, "home_security": 2},
        },
    )
    assert plan.lead in {"victim-support-enhanced", "victim-support-triage"}
    assert met_by(plan)["home_security"] == "bobby-scheme"
    assert not any(h.service_id.startswith("idva-") for h in plan.handovers)


def test_bobby_scheme_only_where_the_victim_wants_home_security(g: PathwayGraph) -> None:
    plan = plan_for(
        g,
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 5, "needs": {"emotional_support": 1, "information_rights": 1}},
    )
    assert plan.lead == "victim-support-triage"
    assert "bobby-scheme" not in plan.service_ids


# ---------------------------------------------------------------- sexual violence


@pytest.mark.parametrize("area", ALL_AREAS)
def test_sexual_violence_within_seven_days_goes_to_the_sarc_and_the_areas_isva(
    g: PathwayGraph, area: str
) -> None:
    occurred = (TODAY - dt.timedelta(days=3)).isoformat()
    plan = plan_for(
        g,
        victim={"area": area, "sex": "female", "age": 19},
        incident={"kind": "sexual_violence", "occurred_on": occurred, "reported_to_police": False},
        assessment={"needs": {"emotional_support": 1}},
    )
    assert met_by(plan)["forensic_medical"] == "sarc-peterborough"
    assert met_by(plan)["sexual_violence_advocacy"] == f"isva-{county(area)}"
    assert plan.lead == f"isva-{county(area)}"


@pytest.mark.parametrize("area", ALL_AREAS)
@pytest.mark.parametrize("days", [8, 400])
def test_later_sexual_violence_goes_to_the_areas_isva_only(
    g: PathwayGraph, area: str, days: int
) -> None:
    occurred = (TODAY - dt.timedelta(days=days)).isoformat()
    plan = plan_for(
        g,
        victim={"area": area, "age": 40},
        incident={"kind": "sexual_violence", "occurred_on": occurred, "reported_to_police": False},
        assessment={"needs": {"sexual_violence_advocacy": 2}},
    )
    assert plan.lead == f"isva-{county(area)}"
    assert "sarc-peterborough" not in plan.service_ids


def test_forensic_need_after_seven_days_is_unmet_with_the_sarcs_reason(g: PathwayGraph) -> None:
    plan = plan_for(
        g,
        incident={"kind": "sexual_violence", "occurred_on": "2026-11-01"},
        assessment={"needs": {"forensic_medical": 3, "sexual_violence_advocacy": 2}},
    )
    unmet = {u.need.value: u for u in plan.unmet}
    assert "forensic_medical" in unmet
    reasons = {r.service_id: [c.value for c in r.failed] for r in unmet["forensic_medical"].reasons}
    assert reasons["sarc-peterborough"] == ["days_since_incident"]


# ---------------------------------------------------------------- older victims


@pytest.mark.parametrize("area", ALL_AREAS)
@pytest.mark.parametrize("kind", ["burglary", "fraud"])
def test_older_victim_of_burglary_or_fraud(g: PathwayGraph, area: str, kind: str) -> None:
    plan = plan_for(
        g,
        victim={"area": area, "age": 74},
        incident={"kind": kind},
        assessment={"needs": {"emotional_support": 2, "home_security": 2}},
    )
    assert met_by(plan) == {
        "emotional_support": "victim-support-older",
        "home_security": "bobby-scheme",
    }
    assert plan.lead == "victim-support-older"


# ---------------------------------------------------------------- bereaved


@pytest.mark.parametrize("area", ALL_AREAS)
def test_bereaved_by_homicide(g: PathwayGraph, area: str) -> None:
    plan = plan_for(
        g,
        victim={"area": area, "role": "indirect", "age": 52},
        incident={"kind": "homicide"},
        assessment={"needs": {"practical_support": 2}},
    )
    assert met_by(plan)["bereavement_support"] == "homicide-service"
    assert plan.lead == "homicide-service"


@pytest.mark.parametrize("area", ALL_AREAS)
def test_bereaved_by_a_road_collision_not_a_crime(g: PathwayGraph, area: str) -> None:
    plan = plan_for(
        g,
        victim={"area": area, "role": "indirect", "age": 52},
        incident={"kind": "road_traffic_collision", "reported_to_police": False},
        assessment={"flags": ["bereaved"], "needs": {"emotional_support": 2}},
    )
    assert met_by(plan)["bereavement_support"] == "road-victims-trust"
    assert plan.lead == "road-victims-trust"
    assert "homicide-service" not in plan.service_ids


# ---------------------------------------------------------------- under 18


@pytest.mark.parametrize("area", ALL_AREAS)
@pytest.mark.parametrize("kind", ["robbery", "violence", "hate_crime"])
def test_under_eighteen_young_victims_service_takes_part(
    g: PathwayGraph, area: str, kind: str
) -> None:
    r = referral(
        victim={"area": area, "age": 14},
        incident={"kind": kind},
        assessment={"needs": {"emotional_support": 2}},
    )
    assert assess_risk(r, as_of=TODAY).enhanced
    plan = plan_for(
        g,
        victim={"area": area, "age": 14},
        incident={"kind": kind},
        assessment={"needs": {"emotional_support": 2}},
    )
    assert "young-victims-service" in plan.service_ids
    assert "victim-support-enhanced" not in plan.service_ids  # 18+ only


# ---------------------------------------------------------------- own-area services


@pytest.mark.parametrize("area", ALL_AREAS)
def test_accommodation_substance_misuse_and_finance_from_the_victims_own_area(
    g: PathwayGraph, area: str
) -> None:
    plan = plan_for(
        g,
        victim={"area": area},
        incident={"kind": "theft"},
        assessment={"needs": {"accommodation": 2, "substance_misuse": 2, "finance": 1}},
    )
    met = met_by(plan)
    assert met["accommodation"] == HOUSING[area]
    assert met["substance_misuse"] == f"drug-alcohol-{county(area)}"
    assert met["finance"] == f"citizens-advice-{county(area)}"
    assert not plan.unmet


# ---------------------------------------------------------------- the design's general rules


def test_a_red_service_is_never_chosen() -> None:
    directory = fresh(load_directory())
    services = tuple(
        dataclasses.replace(s, capacity=dataclasses.replace(s.capacity, status=CapacityStatus.RED))
        if s.id == "idva-cambridgeshire"
        else s
        for s in directory.services
    )
    g = build_graph(dataclasses.replace(directory, services=services))
    plan = plan_for(
        g,
        victim={"sex": "male"},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 20, "needs": {"domestic_abuse_advocacy": 3}},
    )
    assert "idva-cambridgeshire" not in plan.service_ids
    unmet = {u.need.value: u for u in plan.unmet}
    reasons = {r.service_id: r.failed for r in unmet["domestic_abuse_advocacy"].reasons}
    assert [c.value for c in reasons["idva-cambridgeshire"]] == ["capacity"]
    assert [c.value for c in reasons["womens-aid-refuge"]] == ["sex"]


def test_refused_services_are_never_chosen(g: PathwayGraph) -> None:
    plan = plan_for(
        g,
        victim={"age": 70, "refused_services": ["victim-support-older"]},
        incident={"kind": "burglary"},
        assessment={"needs": {"emotional_support": 2}},
    )
    assert "victim-support-older" not in plan.service_ids
    assert met_by(plan)["emotional_support"] == "victim-support-enhanced"


def test_without_consent_every_handover_is_a_signpost_from_entry_self(g: PathwayGraph) -> None:
    plan = plan_for(
        g,
        victim={"consent_to_share": False},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 18, "needs": {"accommodation": 2}},
    )
    assert plan.mode is HandoverMode.SIGNPOST
    assert plan.entry == "entry:self"
    assert plan.handovers and all(h.mode is HandoverMode.SIGNPOST for h in plan.handovers)
    assert plan.lead == "idva-cambridgeshire"  # IDVAs take self-referrals


def test_self_referral_starts_from_entry_self_and_only_reaches_via_pathways(
    g: PathwayGraph,
) -> None:
    plan = plan_for(
        g,
        source="self",
        victim={"age": 70},
        incident={"kind": "burglary"},
        assessment={"needs": {"home_security": 2}},
    )
    bobby = plan.handover("bobby-scheme")
    assert bobby is not None
    assert bobby.from_node != "entry:self"  # the Bobby Scheme takes no self-referrals
    assert bobby.explanation.path[0] == "entry:self"
    first = plan.handover(bobby.explanation.path[1])
    assert first is not None and first.from_node == "entry:self"


def test_a_missing_fact_keeps_the_service_and_asks_to_confirm(g: PathwayGraph) -> None:
    plan = plan_for(
        g,
        victim={"age": None, "sex": None},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 2, "needs": {"refuge": 3}},
    )
    refuge = plan.handover("womens-aid-refuge")
    assert refuge is not None
    assert {c.value for c in refuge.explanation.confirm} == {"age", "sex"}


@pytest.mark.parametrize("area", CAMBS_DISTRICTS)
def test_peterborough_services_never_serve_cambridgeshire(g: PathwayGraph, area: str) -> None:
    plan = plan_for(
        g,
        victim={"area": area},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 20, "needs": {"substance_misuse": 2, "finance": 2}},
    )
    assert not [
        s for s in plan.service_ids if s.endswith("-peterborough") and s != "sarc-peterborough"
    ]


def test_plan_is_the_same_from_a_fresh_build(g: PathwayGraph) -> None:
    kwargs = {
        "incident": {"kind": "domestic_abuse"},
        "assessment": {"dash_score": 16, "needs": {"accommodation": 2, "finance": 1}},
    }
    first = canonical_json(plan_to_dict(plan_for(g, **kwargs)))  # type: ignore[arg-type]
    again = canonical_json(plan_to_dict(plan_for(shipped_graph(), **kwargs)))  # type: ignore[arg-type]
    assert first == again
    assert NOW.tzinfo is not None
