"""The router killed with SIGKILL while webhook deliveries are in flight, several times at
random points (a seeded RNG), and restarted each time. Afterwards every event in the router's
outbox is delivered or dead-lettered, none is lost, and any event the receiver got twice came
with the same ``webhook-id`` and the same body both times.

The receiver answers slowly (it records a delivery, then waits before answering), so a kill
often lands between a delivery arriving and the router recording it: after the lease of the
dead process runs out the event is sent again, a duplicate the provider recognises by its
``webhook-id``. Referrals keep arriving throughout from a client that retries with its
``Idempotency-Key`` when the router dies under it: each still makes exactly one referral.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from . import figures
from .conftest import StackFactory
from .soak import long_variant
from .stack import Router, referral, rows, wait_until

SEED = 20261126
LEASE_SECONDS = 5  # what a killed worker's claims are held for (the minimum for a 0.5 s timeout)


@dataclass
class Poster:
    """Posts referrals one after another, each retried with its Idempotency-Key until the
    router answers 201 (through kills and restarts); bounded by ``deadline``."""

    router: Router
    prefix: str
    stop: threading.Event = field(default_factory=threading.Event)
    made: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        try:
            with self.router.client(timeout=10) as client:
                n = 0
                while not self.stop.is_set():
                    reference = f"{self.prefix}-{n}"
                    self.made[reference] = self._post(client, reference)
                    n += 1
                    self.stop.wait(0.15)
        except Exception as exc:  # reported by the test: a thread cannot fail it
            self.errors.append(repr(exc))

    def _post(self, client: httpx.Client, reference: str) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                response = client.post(
                    "/referrals",
                    headers=self.router.headers(**{"Idempotency-Key": reference}),
                    json=referral(reference),
                )
            except httpx.TransportError:  # killed under us, or not back yet
                self.retries += 1
                time.sleep(0.05)
                continue
            if response.status_code == 409:  # the first try is still being processed
                self.retries += 1
                time.sleep(0.05)
                continue
            assert response.status_code == 201, response.text
            referral_id: str = response.json()["id"]
            return referral_id
        raise AssertionError(f"{reference}: no 201 within 60 s")


def in_flight(router: Router) -> int:
    """Events the (dead) router had claimed and not finished."""
    return len(
        rows(
            router.engine,
            "SELECT id FROM outbox_events WHERE status = 'pending' AND claimed_by IS NOT NULL",
        )
    )


def run_kills(make_stack: StackFactory, *, kills: int, seed: int) -> None:
    stack = make_stack(
        receiver_delay=0.25,
        PATHWAYS_WEBHOOK_TIMEOUT_SECONDS="0.5",
        PATHWAYS_WEBHOOK_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    router, receiver, process = stack.router, stack.receiver, stack.router.process
    router.warm_up()
    rng = random.Random(seed)
    started = time.monotonic()
    poster = Poster(router, prefix=f"KILL-{seed}")
    thread = threading.Thread(target=poster.run, daemon=True)
    thread.start()
    caught: list[int] = []
    try:
        for _ in range(kills):
            time.sleep(rng.uniform(0.3, 2.0))  # a random point in the deliveries
            process.kill()
            caught.append(in_flight(router))
            time.sleep(rng.uniform(0.0, 0.3))
            process.start()
    finally:
        poster.stop.set()
        thread.join(90)
    assert not thread.is_alive()
    assert not poster.errors, poster.errors

    wait_until(
        lambda: router.pending() == 0,
        timeout=LEASE_SECONDS + 60,
        what="every event delivered or dead-lettered",
    )
    outbox = router.outbox()
    ids = {e["id"] for e in outbox}
    statuses = Counter(e["status"] for e in outbox)
    assert set(statuses) <= {"delivered", "dead"}, statuses
    arrivals = receiver.counts()
    delivered = {e["id"] for e in outbox if e["status"] == "delivered"}
    lost = delivered - set(arrivals)
    assert not lost, f"recorded as delivered but never received: {sorted(lost)[:5]}"
    assert set(arrivals) <= ids, "the receiver got events the router never stored"
    for webhook_id, bodies in receiver.bodies().items():
        assert len(bodies) == 1, f"{webhook_id} arrived with different bodies"
    # Nothing lost upstream either: one referral per Idempotency-Key, each sent handover has its
    # event in the outbox.
    references = rows(
        router.engine,
        "SELECT source_reference AS ref, count(*) AS n FROM referrals "
        "WHERE source_reference LIKE :p GROUP BY source_reference",
        p=f"KILL-{seed}-%",
    )
    assert {r["ref"]: r["n"] for r in references} == dict.fromkeys(poster.made, 1)
    requested = [e for e in outbox if e["type"] == "handover.requested"]
    assert len(requested) == router.requested_handovers()
    assert any(caught), f"no kill caught a delivery in flight: {caught}"
    figures.record(
        "faults",
        f"router SIGKILLed {kills}x (seed {seed})",
        referrals=len(poster.made),
        events=len(ids),
        delivered=len(delivered),
        dead_lettered=statuses.get("dead", 0),
        lost=len(lost),
        duplicates=sum(n - 1 for n in arrivals.values()),
        claimed_unfinished_at_kills=sum(caught),
        client_retries=poster.retries,
        seconds=round(time.monotonic() - started, 1),
    )


def test_the_router_killed_mid_delivery_loses_nothing(make_stack: StackFactory) -> None:
    run_kills(make_stack, kills=3, seed=SEED)


@long_variant
@pytest.mark.parametrize("seed", [SEED + 1, SEED + 2])
def test_the_router_killed_again_and_again_loses_nothing(
    make_stack: StackFactory, seed: int
) -> None:
    run_kills(make_stack, kills=12, seed=seed)
