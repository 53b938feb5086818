"""The worker: rounds that never die, a thread that starts and stops, and real deliveries to a
receiver on 127.0.0.1 that is down for a while and then comes back."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.common.db import create_db_engine
from services.router.settings import RouterSettings
from services.router.worker import Worker

from .helpers import SECRET, FakeClock, Receiver, add_events, add_target, event, public_resolver
from .receiver import LoopbackReceiver

WAIT_SECONDS = 15.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def loopback_settings(settings: RouterSettings) -> RouterSettings:
    """Development settings: http to 127.0.0.1 allowed, short backoff, many attempts."""
    return settings.model_copy(
        update={
            "allow_private_webhook_targets": True,
            "allow_insecure_webhooks": True,
            "webhook_timeout_seconds": 2.0,
            "webhook_backoff_base_seconds": 1.0,
            "webhook_backoff_max_seconds": 4.0,
            "webhook_max_attempts": 20,
        }
    )


@pytest.fixture
def receiver() -> Iterator[LoopbackReceiver]:
    receiver = LoopbackReceiver(SECRET)
    receiver.start()
    receiver.stop()  # it has a port now, and is down
    yield receiver
    receiver.stop()


def test_every_event_arrives_once_after_the_receiver_comes_back(
    loopback_settings: RouterSettings, engine: Engine, receiver: LoopbackReceiver
) -> None:
    clock = FakeClock()
    add_target(engine, url=receiver.url)
    ids = add_events(engine, 12, now=clock())
    worker = Worker(settings=loopback_settings, engine=engine, name="w-loopback", clock=clock)
    try:
        for attempt in (1, 2, 3):  # down: connections refused
            assert worker.run_once() == len(ids)
            assert all(event(engine, i).attempts == attempt for i in ids)
            assert all(event(engine, i).status == "pending" for i in ids)
            clock.advance(loopback_settings.webhook_backoff_max_seconds)
        assert "could not connect" in (event(engine, ids[0]).last_error or "")
        receiver.start()  # back, on the same port
        assert worker.run_once() == len(ids)
        assert worker.run_once() == 0
    finally:
        worker.close()
    assert receiver.counts() == {i: 1 for i in ids}
    assert receiver.rejected == 0
    for delivered in receiver.accepted:
        stored = event(engine, delivered.webhook_id)
        assert stored.status == "delivered" and stored.attempts == 4
        assert delivered.payload == stored.payload


def test_the_worker_thread_delivers_in_the_background_and_stops_gracefully(
    loopback_settings: RouterSettings, engine: Engine, receiver: LoopbackReceiver
) -> None:
    fast = loopback_settings.model_copy(
        update={"webhook_backoff_base_seconds": 0.02, "webhook_backoff_max_seconds": 0.1}
    )
    sweeps: list[dt.datetime] = []

    def sweep(now: dt.datetime) -> int:
        sweeps.append(now)
        if len(sweeps) == 1:
            raise RuntimeError("the first sweep fails")
        return 0

    add_target(engine, url=receiver.url)
    ids = add_events(engine, 5, now=dt.datetime.now(dt.UTC))
    worker = Worker(settings=fast, engine=engine, sweep=sweep, name="w-thread")
    worker.start()
    try:
        wait_for(lambda: all(event(engine, i).attempts >= 2 for i in ids), "failed attempts")
        receiver.start()
        more = add_events(engine, 3, now=dt.datetime.now(dt.UTC))
        wait_for(lambda: sum(receiver.counts().values()) >= len(ids + more), "deliveries")
    finally:
        assert worker.stop(timeout=10) is True
    assert receiver.counts() == {i: 1 for i in ids + more}
    assert all(event(engine, i).status == "delivered" for i in ids + more)
    assert len(sweeps) >= 2  # the loop survived the failing sweep
    assert all(s.tzinfo is not None for s in sweeps)
    assert worker.deliverer.closed


def test_a_stopped_worker_can_be_stopped_again_and_never_started_ones_close(
    settings: RouterSettings, engine: Engine
) -> None:
    worker = Worker(settings=settings, engine=engine)
    assert worker.stop(timeout=1) is True
    started = Worker(settings=settings, engine=engine, name="w-twice")
    started.start()
    with pytest.raises(RuntimeError, match="already running"):
        started.start()
    assert started.stop(timeout=5) is True
    assert started.stop(timeout=5) is True


def test_run_forever_returns_when_its_event_is_set(
    settings: RouterSettings, engine: Engine
) -> None:
    worker = Worker(settings=settings, engine=engine, name="w-cli")
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    time.sleep(0.1)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    worker.close()


def test_a_failing_round_is_logged_and_the_sweep_still_runs(
    settings: RouterSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = create_db_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")  # no tables
    swept: list[dt.datetime] = []

    def sweep(now: dt.datetime) -> int:
        swept.append(now)
        return 2

    worker = Worker(settings=settings, engine=broken, sweep=sweep)
    now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    try:
        with caplog.at_level(logging.ERROR, logger="pathways.router.worker"):
            assert worker.run_once(now) == 2
    finally:
        worker.close()
        broken.dispose()
    assert swept == [now]
    assert "webhook delivery round failed" in caplog.text


def test_a_failing_sweep_is_logged_and_deliveries_still_count(
    settings: RouterSettings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver()
    clock = FakeClock()
    add_target(engine)
    add_events(engine, 2, now=clock())

    def sweep(now: dt.datetime) -> int:
        raise RuntimeError("boom")

    worker = Worker(
        settings=settings,
        engine=engine,
        sweep=sweep,
        transport=receiver.transport,
        clock=clock,
        resolve=public_resolver,
    )
    try:
        with caplog.at_level(logging.ERROR, logger="pathways.router.worker"):
            assert worker.run_once() == 2
    finally:
        worker.close()
    assert len(receiver.seen) == 2
    assert "handover sweep failed" in caplog.text


def test_the_sweep_gets_the_round_time_and_its_count_is_returned(
    settings: RouterSettings, engine: Engine
) -> None:
    seen: list[dt.datetime] = []

    def sweep(now: dt.datetime) -> int:
        seen.append(now)
        return 3

    clock = FakeClock()
    add_target(engine)
    add_events(engine, 1, now=clock())
    worker = Worker(
        settings=settings,
        engine=engine,
        sweep=sweep,
        transport=Receiver().transport,
        resolve=public_resolver,
        name="w-sweep",
    )
    try:
        assert worker.run_once(clock()) == 1 + 3
        assert worker.run_once(clock()) == 0 + 3
    finally:
        worker.close()
    assert seen == [clock(), clock()]
