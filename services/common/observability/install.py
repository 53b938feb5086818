"""Wiring for an app factory: ``install_observability(app, metrics, public=…)``."""

from __future__ import annotations

from fastapi import FastAPI

from .metrics import HttpMetrics, metrics_router
from .middleware import ObservabilityMiddleware


def install_observability(app: FastAPI, metrics: HttpMetrics, *, public: bool) -> None:
    """Add the middleware and ``GET /metrics``. Call it after every other ``add_middleware``:
    the last added is the outermost, so the requests other middleware answer on their own (a
    413, a 415) are counted, timed and logged too."""
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.include_router(metrics_router(metrics, public=public))
