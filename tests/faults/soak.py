"""``@long_variant``: a test's long form, for ``make soak`` only.

It is marked ``slow`` (``make soak`` runs ``-m slow``) and skipped unless
``HYPOTHESIS_PROFILE=soak`` (which ``make soak`` sets), so that ``make test``, which runs every
test, stays fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., object])

SOAKING = os.environ.get("HYPOTHESIS_PROFILE") == "soak"


def long_variant(test: F) -> F:
    skipped: F = pytest.mark.skipif(not SOAKING, reason="the long variant runs in `make soak`")(
        test
    )
    marked: F = pytest.mark.slow(skipped)
    return marked
