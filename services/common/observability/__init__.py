"""Observability shared by both services: request ids, JSON logs and Prometheus metrics.

- ``request_id``: the ``X-Request-ID`` of the request being served, in a context variable, so
  every log line and every outbound call to the directory carries it.
- ``logging``: one JSON object per line on standard error (``configure_logging``), set up by
  ``pathways serve`` and ``pathways worker`` only: an app factory never touches the logging
  configuration, so tests stay quiet.
- ``metrics``: a Prometheus registry per app (tests build many apps in one process), the HTTP
  metrics, ``GET /metrics`` and a base for collectors that read the database when scraped.
- ``middleware``: one pure ASGI middleware that gives each request its id, times it, counts it
  by route template and writes its access line.
"""

from .install import install_observability
from .logging import configure_logging
from .metrics import METRICS_CONNECTIONS, DatabaseCollector, HttpMetrics, metrics_router, register
from .middleware import ObservabilityMiddleware
from .request_id import REQUEST_ID_HEADER, current_request_id, new_request_id, outbound_request_id

__all__ = [
    "METRICS_CONNECTIONS",
    "REQUEST_ID_HEADER",
    "DatabaseCollector",
    "HttpMetrics",
    "ObservabilityMiddleware",
    "configure_logging",
    "current_request_id",
    "install_observability",
    "metrics_router",
    "new_request_id",
    "outbound_request_id",
    "register",
]
