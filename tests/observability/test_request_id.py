"""``X-Request-ID``: taken from the caller when it is a safe token, otherwise made; echoed on the
response; the id of every log line and outbound call made while the request is served."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.observability import HttpMetrics, current_request_id, install_observability
from services.common.observability.request_id import is_safe, outbound_request_id


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/echo")
    def echo() -> dict[str, str | None]:
        return {"seen": current_request_id()}

    install_observability(app, HttpMetrics(), public=True)
    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(_app())


@pytest.mark.parametrize("value", ["abc", "A.b_c-1", "x" * 64, "3f2a9c0e" * 4])
def test_a_safe_id_from_the_caller_is_used_and_echoed(client: TestClient, value: str) -> None:
    got = client.get("/echo", headers={"X-Request-ID": value})
    assert got.headers["X-Request-ID"] == value
    assert got.json() == {"seen": value}


def test_without_an_id_one_is_made(client: TestClient) -> None:
    first = client.get("/echo").headers["X-Request-ID"]
    second = client.get("/echo").headers["X-Request-ID"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.parametrize(
    "value",
    ["x" * 65, "has space", 'quote"d', "semi;colon", "new\\nline", "ünïcode", "a/b", ""],
)
def test_an_unsafe_id_is_replaced_not_echoed(client: TestClient, value: str) -> None:
    assert not is_safe(value)
    got = client.get("/echo", headers={"X-Request-ID": value.encode("utf-8")})
    assert got.status_code == 200
    made = got.headers["X-Request-ID"]
    assert made != value and is_safe(made) and len(made) == 32
    assert got.json() == {"seen": made}


def test_errors_and_unknown_routes_carry_the_id_too(client: TestClient) -> None:
    got = client.get("/nowhere", headers={"X-Request-ID": "trace-404"})
    assert got.status_code == 404
    assert got.headers["X-Request-ID"] == "trace-404"


def test_outside_a_request_each_outbound_call_gets_a_fresh_id() -> None:
    assert current_request_id() is None
    first, second = outbound_request_id(), outbound_request_id()
    assert first != second and is_safe(first) and is_safe(second)
