"""The directory's app factory: ``create_app(settings=None)``.

Settings are read here, never at import. The lifespan owns the database engine and the snapshot
cache, hands them to requests through the typed state, and disposes of the engine at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from services.common.audit.endpoints import router as audit_router
from services.common.db import LoopReader, create_db_engine
from services.common.errors import install_problem_handlers
from services.common.health import router as health_router
from services.common.limits import BodyLimitMiddleware
from services.common.media import JsonBodyMiddleware
from services.common.migrations import MigrationSet
from services.common.observability import (
    METRICS_CONNECTIONS,
    HttpMetrics,
    install_observability,
    register,
)
from services.common.openapi import install_openapi
from services.common.state import ServiceState

from .console.app import PATH as CONSOLE_PATH
from .console.app import create_console
from .db import MIGRATIONS
from .metrics import DirectoryCollector
from .openreferral.endpoints import router as openreferral_router
from .pathways.endpoints import router as pathways_router
from .providers.endpoints import router as providers_router
from .search.endpoints import router as search_router
from .services.endpoints import router as services_router
from .settings import DirectorySettings
from .snapshot.endpoints import router as snapshot_router
from .snapshot.service import SNAPSHOT_CONNECTIONS, SnapshotCache
from .vocabulary.endpoints import router as vocabulary_router
from .webhooks.endpoints import router as webhooks_router

SERVICE_NAME = "directory"
VERSION = "1.0.0"

DESCRIPTION = """\
Who provides what, for whom, and with what capacity: the service directory behind Pathways'
victim referral routing.

Every endpoint but the health checks, `GET /vocabulary` and the Open Referral export needs
`Authorization: Bearer <key>` (keys come from `pathways keys create`). Every error is an RFC 9457
problem document (`application/problem+json`).
"""

TAGS = [
    {"name": "providers", "description": "Organisations that run services (admins edit)."},
    {"name": "services", "description": "Services, their eligibility and capacity."},
    {"name": "pathways", "description": "Who may hand over to whom."},
    {"name": "snapshot", "description": "The whole directory, versioned, for the router."},
    {"name": "webhooks", "description": "Webhook URLs and secrets, for the router to sign with."},
    {"name": "search", "description": "Eligible services for a victim profile."},
    {"name": "vocabulary", "description": "The codes the API accepts."},
    {"name": "openreferral", "description": "Open Referral (HSDS 3.1) export, open to all."},
    {"name": "audit", "description": "The append-only log of every change."},
    {"name": "health", "description": "Liveness and readiness."},
]


class DirectoryState(ServiceState):
    settings: DirectorySettings
    snapshots: SnapshotCache


def _state(
    settings: DirectorySettings,
    engine: Engine,
    loop_reader: LoopReader,
    snapshot_engine: Engine,
    migrations: MigrationSet,
) -> DirectoryState:
    return DirectoryState(
        service_name=SERVICE_NAME,
        engine=engine,
        loop_reader=loop_reader,
        migrations=migrations,
        schema_head=migrations.head(),
        settings=settings,
        snapshots=SnapshotCache(engine=snapshot_engine, size=settings.snapshot_cache_size),
    )


def create_app(settings: DirectorySettings | None = None) -> FastAPI:
    """Build the directory app; settings from the environment unless given."""
    settings = settings or DirectorySettings()
    metrics = HttpMetrics()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[DirectoryState]:
        engine = create_db_engine(settings.database_url, connections=settings.database_connections)
        loop_reader = LoopReader(engine)
        snapshot_engine = create_db_engine(settings.database_url, connections=SNAPSHOT_CONNECTIONS)
        # /metrics reads the database on an engine of its own: the scrape holds a pooled
        # connection for its key check while the collector reads.
        metrics_engine = create_db_engine(settings.database_url, connections=METRICS_CONNECTIONS)
        unregister = register(
            metrics.registry,
            DirectoryCollector(engine=metrics_engine, cache_seconds=settings.metrics_cache_seconds),
        )
        try:
            yield _state(settings, engine, loop_reader, snapshot_engine, MIGRATIONS)
        finally:
            unregister()
            metrics_engine.dispose()
            snapshot_engine.dispose()
            loop_reader.close()
            engine.dispose()

    app = FastAPI(
        title="Pathways directory",
        version=VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        separate_input_output_schemas=False,
    )
    app.add_middleware(JsonBodyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_problem_handlers(app)
    install_openapi(app)
    for router in (
        providers_router,
        services_router,
        pathways_router,
        snapshot_router,
        webhooks_router,
        search_router,
        vocabulary_router,
        openreferral_router,
        audit_router,
        health_router,
    ):
        app.include_router(router)
    # The admin console (HTML for people, outside the OpenAPI document): services/directory/console.
    app.mount(CONSOLE_PATH, create_console(settings), name="console")
    install_observability(app, metrics, public=settings.metrics_public)  # the outermost middleware
    return app
