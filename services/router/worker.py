"""The router's background worker: delivers webhooks and sweeps overdue handovers.

It runs in the router process (``settings.run_worker``, started and stopped by the app's
lifespan) or on its own (``pathways worker``, through ``run_forever``). Several workers, in one
process or many, may share a database: each claims its own events (see ``outbox.delivery``).

Each round delivers one batch of due webhooks and calls ``sweep(now)``. A failure in either is
logged and never stops the loop; the next round starts after ``worker_poll_seconds``, or at once
while a full batch was just delivered (a backlog is drained without waiting).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable

import httpx
from sqlalchemy import Engine

from services.common.db import utcnow

from .outbox.delivery import DEFAULT_BATCH_SIZE, Clock, Deliverer, Resolver, system_resolver
from .settings import RouterSettings

log = logging.getLogger("pathways.router.worker")

Sweep = Callable[[dt.datetime], int]
"""Expires overdue handovers as of ``now``; returns how many it changed."""


def default_name() -> str:
    """``host:pid:random``: unique among workers sharing a database, readable in ``claimed_by``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """Delivers webhooks and runs the sweep, in a daemon thread (``start``/``stop``) or in the
    caller's thread (``run_forever``, ``run_once``)."""

    def __init__(
        self,
        *,
        settings: RouterSettings,
        engine: Engine,
        sweep: Sweep | None = None,
        transport: httpx.BaseTransport | None = None,
        name: str | None = None,
        clock: Clock = utcnow,
        resolve: Resolver = system_resolver,
        rng: random.Random | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.name = name or default_name()
        self.settings = settings
        self._sweep = sweep
        self._clock = clock
        self._deliverer = Deliverer(
            settings=settings,
            engine=engine,
            name=self.name,
            transport=transport,
            clock=clock,
            resolve=resolve,
            rng=rng,
            batch_size=batch_size,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False

    @property
    def deliverer(self) -> Deliverer:
        return self._deliverer

    def run_once(self, now: dt.datetime | None = None) -> int:
        """One round: deliver a batch of due webhooks, then sweep. Returns how many events were
        handled plus how many handovers the sweep changed. Never raises: failures are logged."""
        done = 0
        self._busy = False
        try:
            outcomes = self._deliverer.run(now, halt=self._stop.is_set)
            done += len(outcomes)
            self._busy = len(outcomes) >= self._deliverer.batch_size
        except Exception:
            log.exception("worker %s: a webhook delivery round failed", self.name)
        if self._sweep is not None:
            try:
                done += self._sweep(now if now is not None else self._clock())
            except Exception:
                log.exception("worker %s: the handover sweep failed", self.name)
        return done

    def run_forever(self, stop_event: threading.Event) -> None:
        """Round after round until ``stop_event`` is set. A round in progress finishes the
        delivery under way and hands back the rest of its batch."""
        self._stop = stop_event
        log.info("worker %s started", self.name)
        while not stop_event.is_set():
            try:
                self.run_once()
            except Exception:  # pragma: no cover - run_once logs its own failures
                log.exception("worker %s: a round failed", self.name)
                self._busy = False
            if not self._busy:
                stop_event.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.name)

    def start(self) -> None:
        """Run in a daemon thread until ``stop``."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError(f"worker {self.name} is already running")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever,
            args=(self._stop,),
            name=f"pathways-worker-{self.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> bool:
        """Ask the thread to stop after its current round, wait up to ``timeout`` seconds, and
        close the HTTP client. False if the thread was still busy when the time ran out (it
        stops at the end of its round; events it had claimed are retried by any worker once
        their lease expires)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("worker %s did not stop within %.0f s", self.name, timeout)
                return False
        self.close()
        return True

    def close(self) -> None:
        """Close the HTTP client (``run_forever`` callers call this when they are done)."""
        self._deliverer.close()
