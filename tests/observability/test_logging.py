"""Structured logs: one JSON object per line, with the request id on every line written while
a request is served, and one access line per request that names the route template, never the
path, the query or the body."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.observability import HttpMetrics, install_observability
from services.common.observability.logging import configure_logging, make_handler

LOGGER = "pathways.test.endpoint"


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/cases/{case_id}")
    def case(case_id: str) -> dict[str, str]:
        logging.getLogger(LOGGER).info("looked at a case")
        return {"case_id": case_id}

    install_observability(app, HttpMetrics(), public=True)
    return app


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every ``pathways.*`` record at INFO and above, as the JSON lines ``pathways serve``
    writes; the logging configuration is put back afterwards."""
    stream = io.StringIO()
    handler = make_handler("router", "json", stream)
    logger = logging.getLogger("pathways")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_line_is_json_with_the_request_id(captured: io.StringIO) -> None:
    with TestClient(_app()) as client:
        got = client.get(
            "/cases/victim-1234?name=Jane+Doe", headers={"X-Request-ID": "req-from-lb.1"}
        )
    assert got.status_code == 200
    lines = _lines(captured)
    endpoint = next(line for line in lines if line["logger"] == LOGGER)
    access = next(line for line in lines if line["logger"] == "pathways.access")
    for line in (endpoint, access):
        assert {"timestamp", "level", "logger", "message", "service", "request_id"} <= set(line)
        assert line["request_id"] == "req-from-lb.1"
        assert line["service"] == "router"
        assert line["level"] == "INFO"
        assert line["timestamp"].endswith("Z")
    assert endpoint["message"] == "looked at a case"
    assert access["message"] == "GET /cases/{case_id} 200"
    assert access["method"] == "GET"
    assert access["route"] == "/cases/{case_id}"
    assert access["status"] == 200
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    # Neither the id in the path nor the query string (personal data) reaches the log.
    text = captured.getvalue()
    assert "victim-1234" not in text and "Jane" not in text and "name=" not in text


def test_one_access_line_per_request(captured: io.StringIO) -> None:
    with TestClient(_app()) as client:
        for _ in range(3):
            client.get("/cases/1")
        client.get("/nowhere")
    access = [line for line in _lines(captured) if line["logger"] == "pathways.access"]
    assert [(a["route"], a["status"]) for a in access] == [("/cases/{case_id}", 200)] * 3 + [
        ("<unmatched>", 404)
    ]
    assert len({a["request_id"] for a in access}) == 4


def test_a_line_outside_a_request_has_a_null_request_id(captured: io.StringIO) -> None:
    logging.getLogger("pathways.test.worker").warning("a worker round failed", extra={"n": 2})
    (line,) = _lines(captured)
    assert line["request_id"] is None
    assert line["level"] == "WARNING"
    assert line["n"] == 2


def test_configure_logging_replaces_its_handler_and_silences_uvicorns_access_log() -> None:
    root = logging.getLogger()
    before_handlers, before_level = list(root.handlers), root.level
    uvicorn_state = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
    }
    first, second = io.StringIO(), io.StringIO()
    try:
        configure_logging(service="directory", log_format="json", level="info", stream=first)
        configure_logging(service="directory", log_format="text", level="INFO", stream=second)
        logging.getLogger("pathways.test").info("hello")
        assert first.getvalue() == ""
        assert "INFO pathways.test [None] hello" in second.getvalue()
        ours = [h for h in root.handlers if h not in before_handlers]
        assert len(ours) == 1
    finally:
        for handler in [h for h in root.handlers if h not in before_handlers]:
            root.removeHandler(handler)
        root.setLevel(before_level)
        for name, (handlers, propagate) in uvicorn_state.items():
            logging.getLogger(name).handlers[:] = handlers
            logging.getLogger(name).propagate = propagate
