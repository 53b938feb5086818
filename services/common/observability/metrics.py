"""Prometheus metrics: a registry per app, the HTTP metrics, and ``GET /metrics``.

Each app has its own ``CollectorRegistry`` (never the library's global one): the tests build many
apps in one process, and two routers in one process must not add up each other's counts.

HTTP metrics (recorded by ``ObservabilityMiddleware``)::

    pathways_http_requests_total{method, route, status}            counter
    pathways_http_request_duration_seconds{method, route, status}  histogram

``route`` is the route's template (``/referrals/{referral_id}``), never the path: no id, and so
no personal data and no unbounded number of series. A request that matched no route is
``<unmatched>``; a method outside the usual HTTP ones is ``other``.

Figures that live in the database (handovers by status, the outbox, capacity) are read when
``/metrics`` is scraped by a ``DatabaseCollector``, with a few cheap aggregate queries, at most
once per ``metrics_cache_seconds`` however often it is scraped. They are the same from every
instance sharing the database: aggregate them across instances with ``max``, not ``sum``.

Who may read ``/metrics``: a key with the role ``admin`` or ``service``, like every other
endpoint that is not for the public (401/403 as problem documents), unless
``PATHWAYS_METRICS_PUBLIC=true`` opens it to a scraper without a key. The metrics carry no
personal data, but counts of handovers and referrals by risk level say something about an area
that is not for everyone, so it is closed by default.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ..auth.dependencies import require
from ..auth.schemas import Role

log = logging.getLogger("pathways.metrics")

METRICS_PATH = "/metrics"
UNMATCHED = "<unmatched>"
OTHER_METHOD = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds. A referral is planned in milliseconds; the top buckets catch a slow database."""

METRICS_READERS = (Role.ADMIN, Role.SERVICE)


class HttpMetrics:
    """The app's registry and its HTTP request metrics."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "pathways_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "pathways_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ("method", "route", "status"),
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        # The labelled children, looked up once per (method, route, status): ``labels()`` takes
        # a lock and builds a tuple on every call, and this runs on every request.
        self._children: dict[tuple[str, str, int], tuple[Callable[[], None], Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            labels = (method if method in METHODS else OTHER_METHOD, route, str(status))
            children = (self.requests.labels(*labels).inc, self.duration.labels(*labels))
            self._children[key] = children
        children[0]()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


METRICS_CONNECTIONS = 1
"""The pool of a collector's engine: it reads once at a time (concurrent scrapes wait)."""


class DatabaseCollector(ABC):
    """A collector whose figures come from the database when ``/metrics`` is scraped.

    A subclass reads them in ``read`` (one short read-only transaction). The result is kept for
    ``cache_seconds``, so a busy scraper costs at most one read per interval; concurrent scrapes
    wait for the one read in progress. When the database cannot be read, ``read``'s figures are
    left out and ``pathways_metrics_database_up`` is 0.
    """

    def __init__(self, *, engine: Engine, cache_seconds: float) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._read_at: float | None = None
        self._up = False

    @abstractmethod
    def read(self, connection: Connection) -> Iterable[Metric]:
        """The figures read from the database."""

    def live(self) -> Iterable[Metric]:
        """Figures from memory, fresh on every scrape (none unless a subclass says so)."""
        return ()

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= self._cache_seconds:
                self._refresh()
                self._read_at = now
            cached, up = list(self._cached), self._up
        yield from cached
        yield GaugeMetricFamily(
            "pathways_metrics_database_up",
            "1 when the last read of the database for these metrics succeeded.",
            value=1 if up else 0,
        )
        yield from self.live()

    def _refresh(self) -> None:
        try:
            with self._engine.connect() as connection:
                self._cached = list(self.read(connection))
            self._up = True
        except SQLAlchemyError as exc:
            log.warning("metrics: the database could not be read: %s", exc)
            self._cached = []
            self._up = False


def gauge_by_label(
    name: str, documentation: str, label: str, counts: dict[str, float], known: Sequence[str]
) -> GaugeMetricFamily:
    """One gauge per value of ``label``: every ``known`` value (0 when absent, so a series
    does not vanish when its count drops to nothing), then any other the database holds."""
    family = GaugeMetricFamily(name, documentation, labels=(label,))
    for value in [*known, *sorted(set(counts) - set(known))]:
        family.add_metric((value,), counts.get(value, 0))
    return family


def metrics_router(metrics: HttpMetrics, *, public: bool) -> APIRouter:
    """``GET /metrics`` in the Prometheus text format.

    Left out of the OpenAPI document: it is for the operators' scraper, not for the clients
    API.md is written for, and it answers text rather than JSON (the contract tests would fuzz
    it against a JSON schema it does not have).
    """
    dependencies: list[Any] = [] if public else [Depends(require(*METRICS_READERS))]
    router = APIRouter(dependencies=dependencies)

    @router.get(METRICS_PATH, include_in_schema=False, operation_id="metrics")
    def read_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def register(registry: CollectorRegistry, collector: Collector) -> Callable[[], None]:
    """Add ``collector`` to ``registry``; return what takes it out again (at shutdown)."""
    registry.register(collector)
    return lambda: registry.unregister(collector)
