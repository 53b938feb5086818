"""``CandidateRules`` finds, a rule at a time, exactly the checks ``check`` fails a service at a
time: the planner reads a need's candidates through it, so a plan's rejections and unmet needs
rest on this."""

from __future__ import annotations

from hypothesis import given

from graph.build import Ranked
from graph.eligibility import CHECK_BITS, CandidateRules, check, checks_of, context
from graph.vocabulary import Check

from .strategies import TODAY, Scenario, need_pool, scenarios


def failed_by_rules(rules: CandidateRules, scn: Scenario, count: int) -> list[int]:
    ctx = context(scn.referral, as_of=TODAY)
    out = [0] * count
    for bit, mask in rules.failed(ctx):
        assert mask, "a check no candidate fails is left out"
        for i in range(count):
            if mask >> i & 1:
                out[i] |= bit
    return out


@given(scenarios())
def test_rules_fail_what_check_fails(scn: Scenario) -> None:
    ctx = context(scn.referral, as_of=TODAY)
    services = scn.directory.services
    for need in (None, *need_pool(scn.directory)):
        rules = CandidateRules(services, need)
        got = failed_by_rules(rules, scn, len(services))
        for service, bits in zip(services, got, strict=True):
            assert checks_of(bits) == check(service, ctx, need).failed, (service.id, need)
        # Asked again (the per-value masks now known), the same answer.
        assert failed_by_rules(rules, scn, len(services)) == got


@given(scenarios())
def test_ranked_rejections_are_shared_and_by_position(scn: Scenario) -> None:
    services = scn.directory.services
    need = services[0].needs[0]
    ranked = Ranked(services, need)
    bits = CHECK_BITS[Check.AGE] | CHECK_BITS[Check.CAPACITY]
    positions = list(range(len(services)))
    first = ranked.rejections(positions, [bits] * len(services))
    assert [r.service_id for r in first] == [s.id for s in services]
    assert all(r.failed == (Check.AGE, Check.CAPACITY) for r in first)
    again = ranked.rejections(positions[::-1], [bits] * len(services))
    assert all(a is b for a, b in zip(again, first[::-1], strict=True))
