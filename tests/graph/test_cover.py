"""``graph.plan._cover``, the set cover behind every plan, finds the cover a brute force finds:
the cheapest set of services meeting every need, ties to the smallest sorted tuple of ids."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import plan
from graph.plan import _cover
from graph.vocabulary import Need

IDS = [f"s{i}" for i in range(7)]


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Need], dict[Need, list[str]], dict[str, int]]:
    needs = draw(st.lists(st.sampled_from(list(Need)), min_size=1, max_size=5, unique=True))
    allowed = {
        need: draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=5, unique=True))
        for need in needs
    }
    # Few distinct costs, so ties (broken by ids) are common.
    cost = {sid: draw(st.sampled_from([900, 1000, 1000, 1100, 2000])) for sid in IDS}
    return needs, allowed, cost


def brute_force(
    needs: list[Need], allowed: dict[Need, list[str]], cost: dict[str, int]
) -> tuple[str, ...]:
    pool = sorted({sid for sids in allowed.values() for sid in sids})
    best: tuple[int, tuple[str, ...]] | None = None
    for size in range(1, len(pool) + 1):
        for chosen in itertools.combinations(pool, size):
            if all(any(sid in allowed[need] for sid in chosen) for need in needs):
                key = (sum(cost[sid] for sid in chosen), chosen)
                if best is None or key < best:
                    best = key
    assert best is not None
    return best[1]


@settings(max_examples=400, deadline=None)
@given(instances())
def test_the_cover_is_the_cheapest_then_the_first_by_ids(
    instance: tuple[list[Need], dict[Need, list[str]], dict[str, int]],
) -> None:
    needs, allowed, cost = instance
    assert _cover(needs, allowed, cost) == brute_force(needs, allowed, cost)


def test_a_service_meeting_what_a_cheaper_one_meets_is_left_out() -> None:
    needs = [Need.HEALTH, Need.FAMILY, Need.FINANCE]
    allowed = {
        Need.HEALTH: ["wide", "narrow"],
        Need.FAMILY: ["wide"],
        Need.FINANCE: ["wide", "money"],
    }
    cost = {"wide": 1000, "narrow": 900, "money": 1000}
    assert _cover(needs, allowed, cost) == ("wide",)


def greedy(
    needs: list[Need], allowed: dict[Need, list[str]], cost: dict[str, int]
) -> tuple[str, ...]:
    """The fallback as sets of needs: the best ratio of needs still uncovered to cost, by id."""
    covers: dict[str, frozenset[Need]] = {}
    for need in needs:
        for sid in allowed[need]:
            covers[sid] = covers.get(sid, frozenset()) | {need}
    uncovered = set(needs)
    chosen: list[str] = []
    while uncovered:
        sid = min(covers, key=lambda s: (-len(covers[s] & uncovered) / cost[s], s))
        chosen.append(sid)
        uncovered -= covers[sid]
    return tuple(sorted(chosen))


@settings(max_examples=300, deadline=None)
@given(instances())
def test_past_the_search_limit_the_cover_is_the_greedy_one(
    instance: tuple[list[Need], dict[Need, list[str]], dict[str, int]],
) -> None:
    needs, allowed, cost = instance
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan, "SEARCH_LIMIT", 0)
        found = _cover(needs, allowed, cost)
    assert found == greedy(needs, allowed, cost)
    assert all(any(sid in allowed[need] for sid in found) for need in needs)
