"""The pathway graph as a picture: a layered layout, drawn as inline SVG by a template.

Entry nodes stand in the first column; every service stands one column to the right of the
furthest node that hands over to it (the longest path from an entry), once the cycles that
pathways may form are broken by a depth-first search from the entries. Within a column, nodes
are ordered by the mean position of their neighbours (a few barycentre sweeps) so that arrows
cross less. Arrows leave a node's right side and arrive on the left side, spread along the edge
so that they do not all meet in one point; an arrow that goes back to an earlier column is drawn
dashed.

Pure: plain data in, plain data out, deterministic.

>>> p = layout([ServiceNode("a", "A", "green", False, 1, 2)], [Arrow("entry:police", "a", 1.0)])
>>> [(n.id, n.column) for n in p.nodes]
[('entry:police', 0), ('entry:self', 0), ('a', 1)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from graph.vocabulary import ENTRY_NODES

from . import labels

NODE_WIDTH = 262
NODE_HEIGHT = 50
COLUMN_GAP = 96
ROW_GAP = 16
MARGIN = 24
SWEEPS = 6
MAX_LABEL = 30

FILL = {"green": "#e6f4ea", "amber": "#fff4ce", "red": "#fde7e7", "entry": "#1d3f72"}
STROKE = {"green": "#1e6b34", "amber": "#7a5200", "red": "#a11d1d", "entry": "#0f2547"}
TEXT = {"entry": "#ffffff"}
DEFAULT_TEXT = "#1b1b1b"


@dataclass(frozen=True, slots=True)
class ServiceNode:
    """A service as the picture needs it."""

    id: str
    name: str
    status: str
    stale: bool
    available: int | None
    maximum: int | None


@dataclass(frozen=True, slots=True)
class Arrow:
    """A declared pathway as the picture needs it."""

    source: str
    target: str
    days: float


@dataclass(frozen=True, slots=True)
class PlacedNode:
    id: str
    kind: str
    """``entry`` or ``service``."""
    title: str
    """The full name (the label may be cut short)."""
    label: str
    detail: str
    """The second line: the capacity in words, or what the entry node is."""
    status: str
    stale: bool
    column: int
    x: float
    y: float
    width: float
    height: float
    fill: str
    stroke: str
    text: str


@dataclass(frozen=True, slots=True)
class PlacedArrow:
    source: str
    target: str
    days: float
    back: bool
    d: str
    """The SVG path."""
    title: str


@dataclass(frozen=True, slots=True)
class Picture:
    width: float
    height: float
    nodes: tuple[PlacedNode, ...]
    arrows: tuple[PlacedArrow, ...]
    summary: str
    """One sentence for screen readers (the table under the picture lists every pathway)."""


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def _capacity_words(node: ServiceNode) -> str:
    status = {"green": "Green", "amber": "Amber", "red": "Red"}.get(node.status, node.status)
    parts = [status]
    if node.status == "red":
        parts.append("closed")
    elif node.available is not None and node.maximum is not None:
        parts.append(f"{node.available} of {node.maximum} free")
    elif node.available is not None:
        parts.append(f"{node.available} free")
    if node.stale:
        parts.append("stale")
    return " · ".join(parts)


def _back_edges(nodes: Sequence[str], succ: dict[str, list[str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by a depth-first search from the nodes in order."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()
    for root in nodes:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack[-1]
            children = succ[node]
            if i < len(children):
                stack[-1] = (node, i + 1)
                child = children[i]
                if state.get(child) == 1:
                    back.add((node, child))
                elif child not in state:
                    state[child] = 1
                    stack.append((child, 0))
            else:
                state[node] = 2
                stack.pop()
    return back


def _columns(
    order: Sequence[str], forward: dict[str, list[str]], entries: set[str]
) -> dict[str, int]:
    """Longest path from the entries over the forward (acyclic) edges; Kahn's order."""
    indegree = {n: 0 for n in order}
    for n in order:
        for m in forward[n]:
            indegree[m] += 1
    column = {n: 0 if n in entries else 1 for n in order}
    ready = [n for n in order if indegree[n] == 0]
    while ready:
        n = ready.pop(0)
        for m in forward[n]:
            column[m] = max(column[m], column[n] + 1)
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    return column


def _order_rows(
    layers: dict[int, list[str]], preds: dict[str, list[str]], succ: dict[str, list[str]]
) -> None:
    """Barycentre sweeps, down then up, in place; ties keep the current order (stable)."""

    def sweep(columns: Sequence[int], neighbours: dict[str, list[str]]) -> None:
        position: dict[str, int] = {n: i for col in layers.values() for i, n in enumerate(col)}
        for c in columns:
            row = layers[c]
            was = {n: i for i, n in enumerate(row)}

            def key(n: str, was: dict[str, int] = was) -> tuple[float, int]:
                around = [position[m] for m in neighbours[n] if m in position]
                mean = sum(around) / len(around) if around else float(was[n])
                return (mean, was[n])

            row.sort(key=key)
            position.update({n: i for i, n in enumerate(row)})

    ordered = sorted(layers)
    for _ in range(SWEEPS // 2):
        sweep(ordered[1:], preds)
        sweep(ordered[-2::-1], succ)


def layout(services: Sequence[ServiceNode], arrows: Sequence[Arrow]) -> Picture:
    """Place the entry nodes, ``services`` and the ``arrows`` between them.

    Arrows whose ends are not both in the picture are left out.
    """
    by_id = {s.id: s for s in services}
    entries = list(ENTRY_NODES)
    order = entries + sorted(by_id)
    present = set(order)
    shown = sorted(
        (a for a in arrows if a.source in present and a.target in by_id),
        key=lambda a: (a.source, a.target),
    )
    succ: dict[str, list[str]] = {n: [] for n in order}
    for a in shown:
        succ[a.source].append(a.target)
    back = _back_edges(order, succ)
    forward = {n: [m for m in succ[n] if (n, m) not in back] for n in order}
    column = _columns(order, forward, set(entries))

    preds: dict[str, list[str]] = defaultdict(list)
    fwd_succ: dict[str, list[str]] = defaultdict(list)
    for a in shown:
        if (a.source, a.target) not in back:
            preds[a.target].append(a.source)
            fwd_succ[a.source].append(a.target)
    layers: dict[int, list[str]] = defaultdict(list)
    for n in order:
        layers[column[n]].append(n)
    _order_rows(layers, preds, fwd_succ)

    tallest = max(len(row) for row in layers.values())
    full_height = tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    placed: dict[str, PlacedNode] = {}
    for c, row in sorted(layers.items()):
        row_height = len(row) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
        top = MARGIN + (full_height - row_height) / 2
        for i, n in enumerate(row):
            x = MARGIN + c * (NODE_WIDTH + COLUMN_GAP)
            y = top + i * (NODE_HEIGHT + ROW_GAP)
            placed[n] = _place(n, by_id.get(n), c, x, y)

    outgoing: dict[str, list[Arrow]] = defaultdict(list)
    incoming: dict[str, list[Arrow]] = defaultdict(list)
    for a in shown:
        outgoing[a.source].append(a)
        incoming[a.target].append(a)
    start = _ports(outgoing, placed, lambda a: a.target)
    end = _ports(incoming, placed, lambda a: a.source)
    drawn = tuple(
        _arrow(a, placed, start[(a.source, a.target)], end[(a.source, a.target)], back)
        for a in shown
    )
    columns = max(column.values()) + 1
    width = 2 * MARGIN + columns * NODE_WIDTH + (columns - 1) * COLUMN_GAP
    height = 2 * MARGIN + full_height
    summary = (
        f"{len(services)} services and {len(drawn)} pathways, from the police and self-referral "
        f"entry points on the left to the services they lead to on the right."
    )
    return Picture(
        width=width,
        height=height,
        nodes=tuple(placed[n] for n in order),
        arrows=drawn,
        summary=summary,
    )


def _place(
    node_id: str, service: ServiceNode | None, column: int, x: float, y: float
) -> PlacedNode:
    if service is None:
        title = labels.ENTRY_NODES.get(node_id, node_id)
        return PlacedNode(
            id=node_id,
            kind="entry",
            title=title,
            label=title,
            detail="Entry point",
            status="entry",
            stale=False,
            column=column,
            x=x,
            y=y,
            width=NODE_WIDTH,
            height=NODE_HEIGHT,
            fill=FILL["entry"],
            stroke=STROKE["entry"],
            text=TEXT["entry"],
        )
    status = service.status if service.status in FILL else "amber"
    return PlacedNode(
        id=node_id,
        kind="service",
        title=service.name,
        label=_cut(service.name),
        detail=_capacity_words(service),
        status=status,
        stale=service.stale,
        column=column,
        x=x,
        y=y,
        width=NODE_WIDTH,
        height=NODE_HEIGHT,
        fill=FILL[status],
        stroke=STROKE[status],
        text=DEFAULT_TEXT,
    )


def _ports(
    groups: dict[str, list[Arrow]], placed: dict[str, PlacedNode], other: object
) -> dict[tuple[str, str], float]:
    """Where along a node's side each of its arrows starts or ends: spread over the middle
    70 %, ordered by the height of the node at the other end (so that they do not cross)."""
    assert callable(other)
    out: dict[tuple[str, str], float] = {}
    for node_id, group in groups.items():
        node = placed[node_id]
        ordered = sorted(group, key=lambda a: (placed[other(a)].y, other(a)))
        for i, a in enumerate(ordered):
            share = (i + 1) / (len(ordered) + 1)
            out[(a.source, a.target)] = node.y + node.height * (0.15 + 0.7 * share)
    return out


def _arrow(
    a: Arrow,
    placed: dict[str, PlacedNode],
    y1: float,
    y2: float,
    back: set[tuple[str, str]],
) -> PlacedArrow:
    source, target = placed[a.source], placed[a.target]
    x1 = source.x + source.width
    x2 = target.x - 6  # room for the arrowhead
    # Back to this column or an earlier one: loop out and round.
    bend = max(40.0, (x2 - x1) / 2) if x2 > x1 else 60.0 + (x1 - x2) / 4
    d = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    days = f"{a.days:g} day" + ("" if a.days == 1 else "s")
    return PlacedArrow(
        source=a.source,
        target=a.target,
        days=a.days,
        back=(a.source, a.target) in back or target.column <= source.column,
        d=d,
        title=f"{source.title} → {target.title} ({days})",
    )
