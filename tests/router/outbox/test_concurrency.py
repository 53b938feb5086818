"""Several workers on one database: each event is claimed and delivered exactly once, and on
PostgreSQL a claim skips rows another transaction holds instead of waiting for them."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import httpx
import pytest
from sqlalchemy import Engine, text

from services.common.db import create_db_engine, writer
from services.router.outbox.delivery import Deliverer, Outcome
from services.router.outbox.schemas import OutboxStatus
from services.router.settings import RouterSettings

from .helpers import FakeClock, Receiver, add_events, add_target, event, public_resolver

EVENTS = 150
WORKERS = 3


def _deliverer(
    settings: RouterSettings, engine: Engine, name: str, transport: httpx.BaseTransport
) -> Deliverer:
    return Deliverer(
        settings=settings,
        engine=engine,
        name=name,
        transport=transport,
        resolve=public_resolver,
        rng=random.Random(name),
        batch_size=10,
    )


def test_workers_sharing_a_database_deliver_each_event_exactly_once(
    settings: RouterSettings, engine: Engine, database_url: str
) -> None:
    add_target(engine)
    ids = add_events(engine, EVENTS, now=FakeClock()())

    receiver = Receiver()

    def slowly(request: httpx.Request) -> httpx.Response:
        time.sleep(0.001)  # long enough for the workers to interleave
        return receiver(request)

    transport = httpx.MockTransport(slowly)
    engines = [create_db_engine(database_url) for _ in range(WORKERS)]
    deliverers = [_deliverer(settings, e, f"worker-{n}", transport) for n, e in enumerate(engines)]
    done: dict[str, list[Outcome]] = {d.name: [] for d in deliverers}
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work(deliverer: Deliverer) -> None:
        try:
            start.wait()
            while outcomes := deliverer.run():
                done[deliverer.name].extend(outcomes)
        except BaseException as exc:  # reported below: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(d,)) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for deliverer, each in zip(deliverers, engines, strict=True):
        deliverer.close()
        each.dispose()
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    delivered = Counter(o.event_id for outcomes in done.values() for o in outcomes)
    assert delivered == Counter(ids)  # every event once, by exactly one worker
    assert Counter(s.headers["webhook-id"] for s in receiver.seen) == Counter(ids)
    assert all(o.status is OutboxStatus.DELIVERED for os in done.values() for o in os)
    assert sum(1 for outcomes in done.values() if outcomes) >= 2  # they really shared the work
    for event_id in ids[:: EVENTS // 10]:
        stored = event(engine, event_id)
        assert stored.status == "delivered" and stored.attempts == 1


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_claim_skips_rows_locked_by_another_transaction(
    settings: RouterSettings, engine: Engine, database_url: str
) -> None:
    add_target(engine)
    ids = add_events(engine, 4, now=FakeClock()())
    held = ids[:2]
    other = create_db_engine(database_url)
    deliverer = _deliverer(settings, other, "skipper", Receiver().transport)
    claimed: list[str] = []
    try:
        with writer(engine).connect() as holder:
            holder.execute(text("SET lock_timeout = '10s'"))
            locked = holder.execute(
                text("SELECT id FROM outbox_events WHERE id = ANY(:ids) FOR UPDATE"),
                {"ids": held},
            ).all()
            assert len(locked) == 2

            def claim() -> None:
                claimed.extend(c.id for c in deliverer.claim(FakeClock()()))

            thread = threading.Thread(target=claim)
            thread.start()
            thread.join(5)
            assert not thread.is_alive(), "the claim waited for the locked rows"
            holder.rollback()
        assert sorted(claimed) == ids[2:]
        again = deliverer.claim(FakeClock()())
        assert sorted(c.id for c in again) == held
    finally:
        deliverer.close()
        other.dispose()
