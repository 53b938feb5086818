"""The directory goes down (SIGKILL): the router keeps accepting and planning referrals from its
last good snapshot and says so (``directory.stale``), re-routes a decline from it, and does the
same after a restart with the directory still down. When the directory is back, plans are fresh
again without any restart."""

from __future__ import annotations

import time
from typing import Any

import httpx

from . import figures
from .conftest import StackFactory
from .soak import long_variant
from .stack import Router, referral, wait_until

MAX_SECONDS_PER_REFERRAL = 5.0
"""No request may hang on a dead directory (the client's timeout is 2 s, no retries)."""


def plan_of(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((h["service_id"], h["from"], h["status"]) for h in body["plan"]["handovers"])


def refer(client: httpx.Client, router: Router, reference: str) -> tuple[dict[str, Any], float]:
    began = time.monotonic()
    response = client.post(
        "/referrals", headers=router.headers(), json=referral(reference, kind="high")
    )
    took = time.monotonic() - began
    assert response.status_code == 201, response.text
    assert took < MAX_SECONDS_PER_REFERRAL, f"a referral took {took:.1f} s"
    body: dict[str, Any] = response.json()
    return body, took


def run(make_stack: StackFactory, *, rounds: int) -> None:
    stack = make_stack()
    router, directory = stack.router, stack.directory
    started = time.monotonic()
    stale_referrals = 0
    slowest = 0.0
    with router.client() as client:
        fresh, _ = refer(client, router, "BEFORE")
        assert fresh["directory"]["stale"] is False
        expected = plan_of(fresh)
        assert expected, "the plan should hand the victim over"

        for round_ in range(rounds):
            directory.kill()
            for restart in (False, True):
                if restart:  # the router restarts while the directory is still down
                    router.process.stop()
                    router.process.start()
                    assert not directory.alive()
                body, took = refer(client, router, f"DOWN-{round_}-{restart}")
                slowest = max(slowest, took)
                stale_referrals += 1
                assert body["directory"]["stale"] is True, body["directory"]
                assert body["directory"]["version"] == fresh["directory"]["version"]
                assert plan_of(body) == expected  # the same plan, from the last good snapshot
                timeline = client.get(
                    f"/referrals/{body['id']}/timeline", headers=router.headers()
                ).json()["events"]
                assert "directory.stale" in [e["kind"] for e in timeline]
                # A decline is re-routed from the stored snapshot too.
                [idva] = [
                    h for h in body["plan"]["handovers"] if h["service_id"] == "idva-cambridgeshire"
                ]
                declined = client.post(
                    f"/handovers/{idva['id']}/decline",
                    headers=router.headers("idva"),
                    json={"reason": "no advocate free this week"},
                )
                assert declined.status_code == 200, declined.text
                after = client.get(f"/referrals/{body['id']}", headers=router.headers()).json()
                assert "idva-cambridgeshire" not in [
                    h["service_id"] for h in after["plan"]["handovers"]
                ]
                assert after["plan"]["handovers"], "the decline left the victim with nobody"
            assert client.get("/readyz").status_code == 200  # its own database is fine

            directory.start()

            def fresh_again(round_: int = round_) -> bool:
                body, _ = refer(client, router, f"BACK-{round_}-{time.monotonic_ns()}")
                return body["directory"]["stale"] is False

            wait_until(fresh_again, timeout=15, interval=0.2, what="plans fresh again")
    figures.record(
        "faults",
        f"directory killed {rounds}x, router restarted while it was down",
        referrals_planned_while_down=stale_referrals,
        all_marked_stale=True,
        slowest_referral_seconds=round(slowest, 2),
        seconds=round(time.monotonic() - started, 1),
    )


def test_the_router_plans_from_its_last_snapshot_while_the_directory_is_down(
    make_stack: StackFactory,
) -> None:
    run(make_stack, rounds=1)


@long_variant
def test_the_directory_down_again_and_again(make_stack: StackFactory) -> None:
    run(make_stack, rounds=5)
