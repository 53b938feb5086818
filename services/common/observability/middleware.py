"""One pure ASGI middleware for every request: its id, its metrics and its access line.

Pure ASGI rather than Starlette's ``BaseHTTPMiddleware``, which runs the app in a task of its
own and streams the response through a queue: here a request costs a header scan, two clock
reads, a dictionary lookup for its metric children and (when the access logger is on) one log
record. The route template is read from ``scope["route"]`` after the app has routed the
request; a mounted app's template is prefixed with its mount path.
"""

from __future__ import annotations

import logging
import time

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import UNMATCHED, HttpMetrics
from .request_id import REQUEST_ID_HEADER, is_safe, new_request_id, reset_request_id, set_request_id

ACCESS_LOGGER = "pathways.access"

_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")


def route_template(scope: Scope, root_path: str) -> str:
    """The template of the route that answered (``/referrals/{referral_id}``), never the path.

    ``root_path`` is the scope's root path when the request came in: a mount adds its own
    prefix to it, which is put in front of the mounted app's template."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    prefix = str(scope.get("root_path", ""))[len(root_path) :]
    if isinstance(route, Mount):  # matched the mount, but none of the mounted app's routes
        return f"{prefix or path}/{{path}}"
    return prefix + path


def incoming_request_id(scope: Scope) -> str | None:
    """The caller's ``X-Request-ID`` if it is a safe token (``request_id.is_safe``)."""
    for name, value in scope["headers"]:
        if name == _HEADER:
            text = value.decode("latin-1")
            return text if is_safe(text) else None
    return None


class ObservabilityMiddleware:
    """Gives each HTTP request an id (``X-Request-ID``: the caller's if safe, else a new one),
    echoes it on the response, keeps it in the context for the logs and the outbound calls,
    counts and times the request by route template, and writes one access line."""

    def __init__(
        self, app: ASGIApp, *, metrics: HttpMetrics, access_log: logging.Logger | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = incoming_request_id(scope) or new_request_id()
        token = set_request_id(request_id)
        root_path = str(scope.get("root_path", ""))
        header = (_HEADER, request_id.encode("latin-1"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - start
            method: str = scope["method"]
            route = route_template(scope, root_path)
            self.metrics.observe(method, route, status, seconds)
            if self.access_log.isEnabledFor(logging.INFO):
                self.access_log.info(
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "request_id": request_id,
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                    },
                )
        # Only on the way out without an exception: an exception goes on to Starlette's
        # ServerErrorMiddleware, whose handler logs it, and that line should carry the id too.
        # The context is the request's own task's, so nothing leaks to the next request.
        reset_request_id(token)
