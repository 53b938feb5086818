"""Two full router instances on one PostgreSQL database, each running its own webhook worker,
deliver a burst of events to a real receiver on loopback: each event is claimed once, sent once
(by one instance or the other: both take part) and received once, by ``webhook-id``.

Each instance sends through a real ``httpx.HTTPTransport`` wrapped to note which instance sent
which ``webhook-id``; nothing is mocked.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.faults import figures
from tests.faults.receiver import WebhookReceiver
from tests.faults.soak import long_variant
from tests.faults.stack import quiet_referral, referral, wait_until
from tests.router.api.fakes import FakeDirectory

from .conftest import Crowd, Instances, InstancesFactory

pytestmark = pytest.mark.postgres

SECRET = "whsec_" + base64.b64encode(b"two routers, one receiver, 32 B!").decode()


class Noting(httpx.BaseTransport):
    """A real HTTP transport that notes the ``webhook-id`` of every request it sends."""

    def __init__(self, name: str, sent: list[tuple[str, str]], lock: threading.Lock) -> None:
        self.name = name
        self.sent = sent
        self.lock = lock
        self.inner = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.sent.append((self.name, request.headers["webhook-id"]))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(SECRET, delay=0.005)
    receiver.start()
    yield receiver
    receiver.stop()


def outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [
            dict(r._mapping)
            for r in connection.execute(text("SELECT id, status, attempts FROM outbox_events"))
        ]


def run(
    make_instances: InstancesFactory,
    engine: Engine,
    directory: FakeDirectory,
    receiver: WebhookReceiver,
    *,
    referrals: int,
    high_risk_every: int,
) -> None:
    directory.targets = [
        {
            "service_id": s["id"],
            "provider_id": s["provider_id"],
            "url": receiver.url,
            "secret": SECRET,
        }
        for s in directory.document["services"]
    ]
    sent: list[tuple[str, str]] = []
    lock = threading.Lock()
    instances: Instances = make_instances(
        2,
        webhook_transports=[Noting(f"router-{n}", sent, lock) for n in range(2)],
        run_worker=True,
        worker_poll_seconds=0.02,
        webhook_timeout_seconds=2.0,
        allow_private_webhook_targets=True,
        allow_insecure_webhooks=True,
    )
    for n in range(2):  # each copies the webhook targets before the burst
        quiet = instances.post(n, "/referrals", "referrer", quiet_referral(f"QUIET-{n}"))
        assert quiet.status_code == 201, quiet.text
    with engine.connect() as connection:

        def copied() -> bool:
            return bool(connection.execute(text("SELECT count(*) FROM webhook_targets")).scalar())

        wait_until(copied, timeout=10, what="the webhook targets copied")
        connection.rollback()

    started = time.monotonic()

    def post(n: int) -> int:
        kind = "high" if high_risk_every and n % high_risk_every == 0 else "low"
        response = instances.post(n, "/referrals", "referrer", referral(f"BURST-{n}", kind=kind))
        assert response.status_code == 201, response.text
        return len(response.json()["plan"]["handovers"])

    Crowd().run(referrals, post)
    wait_until(
        lambda: all(e["status"] != "pending" for e in outbox(engine)),
        timeout=120,
        what="the burst delivered",
    )
    took = time.monotonic() - started
    events = outbox(engine)
    ids = [e["id"] for e in events]
    assert Counter(e["status"] for e in events) == Counter({"delivered": len(ids)})
    assert all(e["attempts"] == 1 for e in events), "an event was claimed more than once"
    arrivals = receiver.counts()
    assert arrivals == Counter(ids), "not every event arrived exactly once"
    with lock:
        by_id = Counter(webhook_id for _name, webhook_id in sent)
        by_router = Counter(name for name, _webhook_id in sent)
    assert by_id == Counter(ids), "an event was sent more than once"
    assert len(by_router) == 2, f"only one instance delivered: {by_router}"
    figures.record(
        "concurrency",
        f"burst of {referrals} referrals, 2 routers' workers on one database",
        events=len(ids),
        delivered_once=len(ids),
        claimed_twice=0,
        lost=0,
        sent_by=dict(sorted(by_router.items())),
        seconds=round(took, 1),
    )


def test_two_routers_deliver_a_burst_exactly_once(
    make_instances: InstancesFactory,
    engine: Engine,
    directory: FakeDirectory,
    receiver: WebhookReceiver,
) -> None:
    run(make_instances, engine, directory, receiver, referrals=60, high_risk_every=4)


@long_variant
def test_two_routers_deliver_a_big_burst_exactly_once(
    make_instances: InstancesFactory,
    engine: Engine,
    directory: FakeDirectory,
    receiver: WebhookReceiver,
) -> None:
    run(make_instances, engine, directory, receiver, referrals=400, high_risk_every=3)
