"""``graph.plan._merge_rejections``: a handover's rejections, one per service over every need it
meets, by id, each with every check the service failed for any of those needs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from graph.model import Rejection
from graph.plan import _merge_rejections, _unique_checks
from graph.vocabulary import Check

IDS = [f"svc-{i:02d}" for i in range(12)]


@st.composite
def need_lists(draw: st.DrawFn) -> list[list[Rejection]]:
    """Up to four needs' rejections: each list by id, each service once, as ``walk`` gives."""
    lists = []
    for _ in range(draw(st.integers(0, 4))):
        ids = sorted(draw(st.sets(st.sampled_from(IDS), max_size=len(IDS))))
        lists.append(
            [
                Rejection(
                    sid,
                    _unique_checks(
                        draw(st.sets(st.sampled_from(list(Check)), min_size=1, max_size=3))
                    ),
                )
                for sid in ids
            ]
        )
    return lists


def by_dictionary(lists: list[list[Rejection]]) -> tuple[Rejection, ...]:
    """The meaning, spelt out: every check failed per service, by id."""
    failed: dict[str, set[Check]] = {}
    for rejected in lists:
        for r in rejected:
            failed.setdefault(r.service_id, set()).update(r.failed)
    return tuple(Rejection(sid, _unique_checks(checks)) for sid, checks in sorted(failed.items()))


@settings(max_examples=500, deadline=None)
@given(need_lists())
def test_each_service_once_by_id_with_every_check_it_failed(lists: list[list[Rejection]]) -> None:
    assert _merge_rejections(lists) == by_dictionary(lists)


def test_a_service_in_three_lists_folds_into_one() -> None:
    a = [Rejection("x", (Check.AGE,)), Rejection("y", (Check.AREA,))]
    b = [Rejection("x", (Check.SEX,))]
    c = [Rejection("w", (Check.AGE,)), Rejection("x", (Check.AGE, Check.CAPACITY))]
    assert _merge_rejections([a, b, c]) == (
        Rejection("w", (Check.AGE,)),
        Rejection("x", _unique_checks({Check.AGE, Check.SEX, Check.CAPACITY})),
        Rejection("y", (Check.AREA,)),
    )
