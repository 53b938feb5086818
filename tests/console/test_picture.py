"""The layered layout of the pathway picture (pure: no app, no database)."""

from __future__ import annotations

from graph.codec import load_directory
from services.directory.console.picture import (
    COLUMN_GAP,
    NODE_HEIGHT,
    NODE_WIDTH,
    Arrow,
    ServiceNode,
    layout,
)


def _node(sid: str, status: str = "green", *, stale: bool = False) -> ServiceNode:
    return ServiceNode(sid, sid.upper(), status, stale, 1, 2)


def test_entries_first_and_each_service_right_of_those_that_hand_over_to_it() -> None:
    picture = layout(
        [_node("a"), _node("b"), _node("c")],
        [
            Arrow("entry:police", "a", 1),
            Arrow("a", "b", 1),
            Arrow("b", "c", 1),
            Arrow("entry:self", "c", 1),
        ],
    )
    column = {n.id: n.column for n in picture.nodes}
    assert column == {"entry:police": 0, "entry:self": 0, "a": 1, "b": 2, "c": 3}
    assert [n.kind for n in picture.nodes[:2]] == ["entry", "entry"]
    assert not any(a.back for a in picture.arrows)


def test_a_cycle_is_drawn_with_one_arrow_going_back() -> None:
    picture = layout(
        [_node("a"), _node("b")],
        [Arrow("entry:police", "a", 1), Arrow("a", "b", 1), Arrow("b", "a", 1)],
    )
    back = [(a.source, a.target) for a in picture.arrows if a.back]
    assert back == [("b", "a")]


def test_arrows_to_services_not_shown_are_left_out_and_labels_name_capacity() -> None:
    picture = layout(
        [_node("a", "red"), _node("b", "amber", stale=True)],
        [Arrow("entry:police", "a", 1), Arrow("a", "gone", 1), Arrow("gone", "b", 1)],
    )
    assert [(a.source, a.target) for a in picture.arrows] == [("entry:police", "a")]
    details = {n.id: n.detail for n in picture.nodes}
    assert details["a"] == "Red · closed"
    assert details["b"] == "Amber · 1 of 2 free · stale"
    assert {n.id: n.fill for n in picture.nodes}["a"] != {n.id: n.fill for n in picture.nodes}["b"]


def test_the_shipped_directory_lays_out_inside_the_picture_without_overlaps() -> None:
    directory = load_directory()
    nodes = [
        ServiceNode(
            s.id, s.name, s.capacity.status.value, False, s.capacity.available, s.capacity.maximum
        )
        for s in directory.services
    ]
    arrows = [Arrow(p.from_node, p.to_service, p.days) for p in directory.pathways]
    first = layout(nodes, arrows)
    assert layout(nodes, arrows) == first  # deterministic
    assert len(first.nodes) == len(nodes) + 2
    assert len(first.arrows) == len(arrows)
    boxes = [(n.x, n.y) for n in first.nodes]
    assert len(set(boxes)) == len(boxes)
    for n in first.nodes:
        assert n.x >= 0 and n.x + NODE_WIDTH <= first.width
        assert n.y >= 0 and n.y + NODE_HEIGHT <= first.height
        assert n.x == 24 + n.column * (NODE_WIDTH + COLUMN_GAP)
    # Every arrow that is not drawn back goes to a later column.
    column = {n.id: n.column for n in first.nodes}
    for a in first.arrows:
        assert a.back or column[a.target] > column[a.source]
        assert a.d.startswith("M") and " C" in a.d
