"""The router's app factory: ``create_app(settings=None)``.

Settings are read here, never at import. The lifespan owns the database engine, the directory
client and view (the current pathway graph), and the worker that delivers webhooks and expires
unanswered handovers; it stops and disposes of them at shutdown.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from services.common.audit.endpoints import router as audit_router
from services.common.db import LoopReader, create_db_engine
from services.common.errors import ProblemError, install_problem_handlers
from services.common.health import router as health_router
from services.common.limits import BodyLimitMiddleware
from services.common.media import JsonBodyMiddleware
from services.common.observability import (
    METRICS_CONNECTIONS,
    HttpMetrics,
    install_observability,
    register,
)
from services.common.openapi import install_openapi
from services.common.state import ServiceState

from .choices.endpoints import router as choices_router
from .clients.directory import DirectoryClient
from .db import MIGRATIONS
from .family.endpoints import router as family_router
from .handovers.endpoints import router as handovers_router
from .handovers.service import expire_overdue
from .letters.endpoints import router as letters_router
from .metrics import RouterCollector
from .outbox.endpoints import router as outbox_router
from .referrals.endpoints import router as referrals_router
from .reports.endpoints import router as reports_router
from .reviews.endpoints import router as reviews_router
from .settings import RouterSettings
from .snapshot.service import DirectoryView
from .worker import Worker

log = logging.getLogger("pathways.router")

SERVICE_NAME = "router"
WORKER_CONNECTIONS = 2
"""The in-process worker's pool: it works in one thread, one session at a time."""
VIEW_CONNECTIONS = 2
"""The snapshot view's pool: one read at a time (under its lock) and its writer thread."""
VERSION = "1.0.0"

DESCRIPTION = """\
Referrals, warm handovers and reassessment for victims of crime: the router of Pathways.

Police triage systems and other referrers `POST /referrals`; provider systems accept, decline,
record first contact and complete handovers, and receive signed webhooks (Standard Webhooks).
Every endpoint but the health checks needs `Authorization: Bearer <key>` (keys come from
`pathways keys create --service router`). Every error is an RFC 9457 problem document
(`application/problem+json`).
"""

TAGS = [
    {"name": "referrals", "description": "Referrals, their plans, timelines and reassessment."},
    {
        "name": "choices",
        "description": "The victim's choices: refusing a service, pausing contact, contact "
        "preferences, withdrawing consent.",
    },
    {
        "name": "family",
        "description": "Family links: several victims of one incident as one case, each with "
        "their own plan.",
    },
    {
        "name": "reviews",
        "description": "Scheduled reviews of open referrals: what is due, and reviews done.",
    },
    {"name": "handovers", "description": "Each service's part in a plan, and its lifecycle."},
    {"name": "reports", "description": "Commissioning reports (admins): aggregate figures only."},
    {"name": "outbox", "description": "Webhook deliveries that failed for good (admins)."},
    {"name": "audit", "description": "The append-only log of every change and read."},
    {"name": "health", "description": "Liveness and readiness."},
]


class RouterState(ServiceState):
    settings: RouterSettings
    directory: DirectoryView


def create_app(
    settings: RouterSettings | None = None,
    *,
    directory_transport: httpx.BaseTransport | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """Build the router app; settings from the environment unless given. The transports are
    for tests (``httpx.MockTransport``)."""
    settings = settings or RouterSettings()
    metrics = HttpMetrics()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[RouterState]:
        engine = create_db_engine(settings.database_url, connections=settings.database_connections)
        loop_reader = LoopReader(engine)
        client = DirectoryClient(
            base_url=settings.directory_url,
            api_key=settings.directory_api_key.get_secret_value()
            if settings.directory_api_key
            else None,
            timeout=settings.directory_timeout_seconds,
            retries=settings.directory_retries,
            transport=directory_transport,
        )
        # The view reads and stores snapshots from inside requests that already hold one of the
        # pool's connections: with its own, a burst of requests cannot deadlock the pool.
        view_engine = create_db_engine(settings.database_url, connections=VIEW_CONNECTIONS)
        view = DirectoryView(
            client=client, engine=view_engine, max_age_seconds=settings.snapshot_max_age_seconds
        )
        # Ask the directory once before serving, so the snapshot and the webhook targets are
        # stored before the first referral's webhooks go out (a fresh install would otherwise
        # race them). A directory that is down now is not an error: requests will retry.
        await anyio.to_thread.run_sync(_warm_up, view)
        # The in-process worker has an engine of its own too, so that a request holding one of
        # the process's database slots always finds a connection free in the requests' pool.
        worker_engine = create_db_engine(settings.database_url, connections=WORKER_CONNECTIONS)
        worker = _worker(settings, worker_engine, view, webhook_transport)
        if settings.run_worker:
            worker.start()
        # /metrics reads the database on an engine of its own: the scrape holds a pooled
        # connection for its key check while the collector reads (as the view's engine, above).
        metrics_engine = create_db_engine(settings.database_url, connections=METRICS_CONNECTIONS)
        unregister = register(
            metrics.registry,
            RouterCollector(
                engine=metrics_engine,
                cache_seconds=settings.metrics_cache_seconds,
                in_use=lambda: view.in_use,
            ),
        )
        try:
            yield RouterState(
                service_name=SERVICE_NAME,
                engine=engine,
                loop_reader=loop_reader,
                migrations=MIGRATIONS,
                schema_head=MIGRATIONS.head(),
                settings=settings,
                directory=view,
            )
        finally:
            unregister()
            metrics_engine.dispose()
            worker.stop()  # safe when it never started; closes its HTTP client
            view.close()
            client.close()
            view_engine.dispose()
            worker_engine.dispose()
            loop_reader.close()
            engine.dispose()

    app = FastAPI(
        title="Pathways router",
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.add_middleware(JsonBodyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_problem_handlers(app)
    install_openapi(app)
    for router in (
        referrals_router,
        letters_router,
        choices_router,
        family_router,
        reviews_router,
        handovers_router,
        reports_router,
        outbox_router,
        audit_router,
        health_router,
    ):
        app.include_router(router)
    install_observability(app, metrics, public=settings.metrics_public)  # the outermost middleware
    return app


def _warm_up(view: DirectoryView) -> None:
    try:
        view.current()
    except ProblemError as exc:
        log.warning("the directory could not be reached at start-up: %s", exc.detail)
    view.flush()


def _worker(
    settings: RouterSettings,
    engine: Engine,
    view: DirectoryView,
    transport: httpx.BaseTransport | None,
) -> Worker:
    def sweep(now: dt.datetime) -> int:
        return expire_overdue(engine=engine, view=view, now=now)

    return Worker(settings=settings, engine=engine, sweep=sweep, transport=transport)
