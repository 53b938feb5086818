"""The one percentile every figure of the benchmark uses."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method: the smallest value with at
    least ``q`` % of the values at or below it; NaN when there are none.

    >>> percentile(range(1, 101), 99), percentile([3, 1, 2], 50), percentile([], 50)
    (99, 2, nan)
    """
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]
