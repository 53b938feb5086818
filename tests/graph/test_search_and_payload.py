from __future__ import annotations

import datetime as dt

from graph import handover_payload, make_plan, search
from graph.eligibility import check, context
from graph.model import Eligibility, Service
from graph.payload import PERSONAL_KEYS
from graph.vocabulary import Check, IncidentKind, Need, RiskLevel, Severity

from .helpers import FENLAND, NOW, TODAY, referral, shipped_graph


def test_search_ranks_eligible_services_and_lists_near_misses() -> None:
    g = shipped_graph()
    r = referral(
        victim={"age": 15, "area": FENLAND},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 18, "needs": {"domestic_abuse_advocacy": 3}},
    )
    result = search(g, r, as_of=TODAY, now=NOW)
    assert result.results, "someone must be able to help"
    assert [h.score for h in result.results] == sorted(
        (h.score for h in result.results), reverse=True
    )
    gaps = {x.service_id: [c.value for c in x.failed] for x in result.gaps}
    assert gaps["idva-cambridgeshire"] == ["age"]  # 16+
    assert "idva-peterborough" not in gaps  # fails age and area: two checks


def test_search_without_needs_checks_the_victim_alone() -> None:
    g = shipped_graph()
    r = referral(victim={"age": 70}, incident={"kind": "burglary"})
    ids = {h.service_id for h in search(g, r, as_of=TODAY).results}
    assert "victim-support-older" in ids
    assert "young-victims-service" not in ids


def test_signpost_payload_carries_no_personal_data() -> None:
    g = shipped_graph()
    r = referral(
        victim={"consent_to_share": False, "age": 44, "sex": "female"},
        incident={"kind": "domestic_abuse", "occurred_on": "2026-11-01"},
        assessment={"dash_score": 20, "flags": ["self_harm"], "needs": {"accommodation": 2}},
    )
    plan = make_plan(g, r, now=NOW)
    for h in plan.handovers:
        payload = handover_payload(r, h, handover_id="h1")
        assert not set(payload) & PERSONAL_KEYS
        text = repr(payload)
        for secret in ("44", "female", "2026-11-01", "self_harm", r.victim.area):
            assert secret not in text


def test_warm_payload_carries_the_assessment() -> None:
    g = shipped_graph()
    r = referral(incident={"kind": "burglary"}, assessment={"needs": {"emotional_support": 2}})
    plan = make_plan(g, r, now=NOW)
    payload = handover_payload(r, plan.handovers[0])
    assert payload["assessment"]["needs"] == {"emotional_support": 2}
    assert payload["victim"]["area"] == r.victim.area


def _svc(e: Eligibility, needs: tuple[Need, ...] = (Need.HEALTH,)) -> Service:
    return Service("s", "p", "S", needs, eligibility=e)


def test_alternatives_pass_when_one_holds() -> None:
    bobby = _svc(
        Eligibility(
            any_of=(
                Eligibility(min_age=60),
                Eligibility(incident_kinds=frozenset({IncidentKind.DOMESTIC_ABUSE})),
            )
        )
    )
    young_da = context(
        referral(victim={"age": 30}, incident={"kind": "domestic_abuse"}), as_of=TODAY
    )
    old_theft = context(referral(victim={"age": 70}, incident={"kind": "theft"}), as_of=TODAY)
    young_theft = context(referral(victim={"age": 30}, incident={"kind": "theft"}), as_of=TODAY)
    unknown_age = context(referral(victim={"age": None}, incident={"kind": "theft"}), as_of=TODAY)
    assert check(bobby, young_da).eligible
    assert check(bobby, old_theft).eligible
    assert check(bobby, young_theft).failed == (Check.ALTERNATIVES,)
    verdict = check(bobby, unknown_age)
    assert verdict.eligible and Check.AGE in verdict.confirm


def test_severity_bands() -> None:
    enhanced = _svc(
        Eligibility(min_severity=Severity.MODERATE),
        (Need.EMOTIONAL_SUPPORT, Need.PRACTICAL_SUPPORT),
    )
    low_only = _svc(Eligibility(max_severity=Severity.LOW), (Need.SOCIAL,))
    ctx = context(
        referral(
            assessment={"needs": {"emotional_support": 2, "practical_support": 1, "social": 3}}
        ),
        as_of=TODAY,
    )
    # "for moderate or high needs": about the victim, so it may also take the low need.
    assert check(enhanced, ctx, Need.PRACTICAL_SUPPORT).eligible
    assert check(low_only, ctx, Need.SOCIAL).failed == (Check.SEVERITY,)


def test_days_since_incident_unknown_is_to_confirm() -> None:
    sarc = _svc(Eligibility(max_days_since_incident=7))
    ctx = context(referral(incident={"kind": "sexual_violence"}), as_of=TODAY)
    assert check(sarc, ctx).confirm == (Check.DAYS_SINCE_INCIDENT,)
    late = context(
        referral(incident={"kind": "sexual_violence", "occurred_on": "2026-10-01"}), as_of=TODAY
    )
    assert check(sarc, late).failed == (Check.DAYS_SINCE_INCIDENT,)
    assert context(late.referral, as_of=TODAY + dt.timedelta(days=1)).days_since_incident == 57


def test_risk_levels_check_uses_the_derived_level() -> None:
    idva = _svc(Eligibility(risk_levels=frozenset({RiskLevel.HIGH})))
    ctx = context(
        referral(
            incident={"kind": "domestic_abuse"},
            assessment={"incidents_last_12_months": 4, "needs": {}},
        ),
        as_of=TODAY,
    )
    assert check(idva, ctx).eligible  # escalation makes the risk high
