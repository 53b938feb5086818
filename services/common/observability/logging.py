"""Structured logs: one JSON object per line on standard error.

The standard library's ``logging`` with a formatter of our own rather than python-json-logger:
the formatter is thirty lines, the field names are ours to fix, and a dependency would buy
nothing more. Every line has ``timestamp`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``,
``message``, ``service`` and ``request_id`` (null outside a request), then whatever the call
passed in ``extra`` (the access line's ``method``, ``route``, ``status``, ``duration_ms``), and
``exception`` when there is one::

    {"timestamp": "2026-11-26T13:02:11.123Z", "level": "INFO", "logger": "pathways.access",
     "message": "POST /referrals 201", "service": "router", "request_id": "3f2a…",
     "method": "POST", "route": "/referrals", "status": 201, "duration_ms": 12.31}

``configure_logging`` is called by ``pathways serve`` and ``pathways worker``, never by an app
factory: building an app (as the tests do, hundreds of times) leaves logging alone.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, Literal, TextIO

from .request_id import current_request_id

LogFormat = Literal["json", "text"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# The attributes every LogRecord has: anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "service",
    "request_id",
    "color_message",  # uvicorn's copy of the message with terminal colours
}


class ContextFilter(logging.Filter):
    """Stamps each record with the service's name and the current request id (unless the call
    gave its own in ``extra``). On the handler, so it sees records from every logger."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


# One encoder for every line: ``json.dumps`` with options builds a new one on each call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON (see the module docstring).

    It runs for every access line, so it is written for speed: the timestamp's seconds are
    formatted once per second, and the encoder is made once."""

    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._second_text = ""

    def _timestamp(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # a race here only formats the same second twice
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{int((created - second) * 1000):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": getattr(record, "service", None),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(line)


class _PathwaysHandler(logging.StreamHandler[TextIO]):
    """Ours, so that configuring again replaces it rather than adding a second one."""


def make_handler(
    service: str, log_format: LogFormat, stream: TextIO | None = None
) -> logging.Handler:
    handler = _PathwaysHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter(service))
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    return handler


def configure_logging(
    *, service: str, log_format: LogFormat, level: str, stream: TextIO | None = None
) -> None:
    """Send every log record at ``level`` or above to standard error, as JSON or as text.

    Uvicorn's own loggers propagate to the root logger here (``pathways serve`` starts uvicorn
    with ``log_config=None`` and ``access_log=False``: the access line is ours, with the route
    template and the request id, so uvicorn's would only repeat it with the raw path).
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _PathwaysHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(make_handler(service, log_format, stream))
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
