"""A provider's webhook receiver goes down for a while, then comes back: every event arrives,
once each by ``webhook-id``, none is lost. The router process's own worker does the delivering
(``PATHWAYS_RUN_WORKER``, the default), retrying with backoff while the receiver refuses
connections."""

from __future__ import annotations

import time
from collections import Counter

from . import figures
from .conftest import StackFactory
from .soak import long_variant
from .stack import Router, post_referrals, wait_until


def assert_every_event_arrived_once(router: Router, arrivals: Counter[str]) -> dict[str, int]:
    outbox = router.outbox()
    ids = [e["id"] for e in outbox]
    statuses = Counter(e["status"] for e in outbox)
    assert statuses == Counter({"delivered": len(ids)}), statuses
    # The transactional outbox: every handover ever sent has its event.
    requested = [e for e in outbox if e["type"] == "handover.requested"]
    assert len(requested) == router.requested_handovers()
    lost = set(ids) - set(arrivals)
    assert not lost, f"{len(lost)} events never arrived"
    assert set(arrivals) <= set(ids), "the receiver got events the router never stored"
    duplicates = {k: n for k, n in arrivals.items() if n > 1}
    assert not duplicates, f"delivered more than once: {duplicates}"
    return {
        "events": len(ids),
        "delivered": sum(arrivals.values()),
        "lost": len(lost),
        "duplicates": sum(n - 1 for n in arrivals.values()),
        "failed_attempts": sum(e["attempts"] for e in outbox) - len(ids),
    }


def run_outages(make_stack: StackFactory, *, outages: int, down_for: float, batch: int) -> None:
    # Retries every 0–2 s, from 0.5 s on, up to 50 times: even an event that lives through
    # every outage of the long variant (5 of 4 s) has attempts to spare, so nothing is
    # dead-lettered (that is the kill test's business).
    stack = make_stack(
        PATHWAYS_WEBHOOK_BACKOFF_BASE_SECONDS="0.5", PATHWAYS_WEBHOOK_BACKOFF_MAX_SECONDS="2"
    )
    router, receiver = stack.router, stack.receiver
    router.warm_up()
    started = time.monotonic()
    post_referrals(router, [f"UP-0-{n}" for n in range(batch)])
    for outage in range(outages):
        receiver.stop()
        went_down = time.monotonic()
        post_referrals(router, [f"DOWN-{outage}-{n}" for n in range(batch)])
        # Down long enough for the worker to fail and back off a few times.
        time.sleep(max(0.0, down_for - (time.monotonic() - went_down)))
        refused = sum(1 for e in router.outbox() if e["status"] == "pending" and e["attempts"])
        assert refused, "nothing was tried while the receiver was down"
        receiver.start()
        post_referrals(router, [f"UP-{outage + 1}-{n}" for n in range(batch)])
    wait_until(lambda: router.pending() == 0, timeout=60, what="every event delivered")
    result = assert_every_event_arrived_once(router, receiver.counts())
    assert result["failed_attempts"] > 0  # the outages were felt
    figures.record(
        "faults",
        f"webhook receiver down {outages}x{down_for:g}s",
        **result,
        seconds=round(time.monotonic() - started, 1),
    )


def test_a_receiver_down_for_a_while_gets_every_event_once(make_stack: StackFactory) -> None:
    run_outages(make_stack, outages=1, down_for=2.0, batch=10)


@long_variant
def test_a_receiver_down_again_and_again_gets_every_event_once(make_stack: StackFactory) -> None:
    run_outages(make_stack, outages=5, down_for=4.0, batch=40)
