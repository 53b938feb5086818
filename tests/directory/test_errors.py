"""Every error is a problem document, and no input — however malformed — gives a 500."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.directory.app import create_app
from services.directory.settings import DirectorySettings

from .helpers import PROBLEM_JSON, Api, Keys, assert_problem, provider_body, service_body


def test_an_unknown_route_is_a_404_problem(api: Api) -> None:
    doc = assert_problem(api.client.get("/nowhere"), 404, "no_route")
    assert doc["instance"] == "/nowhere"


def test_a_wrong_method_is_a_405_problem_listing_every_allowed_method(api: Api) -> None:
    r = api.client.put("/services", json={}, headers=api.as_("admin"))
    assert_problem(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET, HEAD, POST"
    assert_problem(api.client.post("/snapshot", headers=api.as_("admin")), 405)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"[]", "application/json"),
        (b'"text"', "application/json"),
        (b"null", "application/json"),
        (b'{"id": "p", "name": "P"}', "text/plain"),
        (b"\xff\xfe\x00", "application/json"),
        (b'{"id": "p", "name": NaN}', "application/json"),
        (b'{"id": "p", "name": "P", "description": "' + b"\\u0000" + b'"}', "application/json"),
        (b'{"id": "p", "name": "\\ud800"}', "application/json"),
        (b'{"id": "p", "name": "P", "contact": {"\\u0000": "x"}}', "application/json"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
    ],
)
def test_malformed_bodies_are_4xx_problems(api: Api, content: bytes, content_type: str) -> None:
    r = api.client.post(
        "/providers", content=content, headers={**api.as_("admin"), "Content-Type": content_type}
    )
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert api.get("/providers").json()["items"] == []


@pytest.mark.parametrize("literal", [b"Infinity", b"-Infinity", b"NaN", b"1e400"])
def test_non_finite_numbers_are_refused(api: Api, literal: bytes) -> None:
    api.create_provider()
    api.create_service("svc-a")
    api.create_service("svc-b")
    body = b'{"from_service": "svc-a", "to_service": "svc-b", "days": ' + literal + b"}"
    r = api.client.post(
        "/pathways", content=body, headers={**api.as_("admin"), "Content-Type": "application/json"}
    )
    assert_problem(r, 422)


def test_422_lists_each_invalid_field_without_echoing_input(api: Api) -> None:
    secretish = "do-not-echo-" + "x" * 300
    body = service_body(name=secretish, response_hours=-5, needs=["cake"])
    doc = assert_problem(
        api.client.post("/services", json=body, headers=api.as_("admin")), 422, "invalid_request"
    )
    locs = [e["loc"] for e in doc["errors"]]
    assert ["body", "name"] in locs and ["body", "response_hours"] in locs
    assert any(loc[:2] == ["body", "needs"] for loc in locs)
    assert secretish not in json.dumps(doc)
    assert all(set(e) == {"loc", "msg", "type"} for e in doc["errors"])


def test_an_oversized_body_is_413(settings: DirectorySettings, keys: Keys) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 2048}))
    with TestClient(app) as client:
        r = client.post(
            "/providers",
            json=provider_body(description="d" * 4000),
            headers=keys.of("admin"),
        )
    assert_problem(r, 413)


def test_an_unexpected_error_is_a_logged_500_problem(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/explode")
    def explode() -> None:
        raise RuntimeError("boom: internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/explode")
    doc = assert_problem(r, 500, "internal_error")
    assert "boom" not in doc["detail"]  # nothing internal leaks
    assert any("unexpected error" in rec.message for rec in caplog.records)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    [
        "id",
        "provider_id",
        "name",
        "needs",
        "specialisms",
        "eligibility",
        "capacity",
        "contact",
        "webhook",
        "response_hours",
        "description",
        "from_service",
        "to_service",
        "days",
        "victim",
        "incident",
        "assessment",
        "source",
        "status",
        "available",
        "maximum",
    ]
)
BODIES = st.one_of(JSON, st.dictionaries(FIELDS, JSON, max_size=6))
WRITES = [
    ("POST", "/providers"),
    ("PATCH", "/providers/prov-a"),
    ("POST", "/services"),
    ("PATCH", "/services/svc-a"),
    ("PUT", "/services/svc-a/capacity"),
    ("POST", "/pathways"),
    ("POST", "/search"),
]


@pytest.mark.parametrize(("method", "path"), WRITES)
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=BODIES)
def test_no_body_gives_a_500(api: Api, method: str, path: str, body: Any) -> None:
    headers = {**api.as_("admin"), "If-Match": "*"}
    r = api.client.request(method, path, json=body, headers=headers)
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith(PROBLEM_JSON)


# `make soak` (HYPOTHESIS_PROFILE=soak) explores many random bodies; `make test` a token few.
SOAK_EXAMPLES = 400 if os.environ.get("HYPOTHESIS_PROFILE") == "soak" else 5


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), WRITES)
@settings(
    max_examples=SOAK_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=BODIES)
def test_no_body_gives_a_500_soak(api: Api, method: str, path: str, body: Any) -> None:
    r = api.client.request(method, path, json=body, headers={**api.as_("admin"), "If-Match": "*"})
    assert r.status_code < 500, r.text


@pytest.mark.parametrize(
    "path",
    [
        "/services/%00",
        "/services/" + "x" * 5000,
        "/providers/%F0%9F%98%80",
        "/services?need=%00",
        "/services?area=%00",
        "/services?cursor=" + "A" * 1000,
        "/audit?entity_id=%00",
        "/openreferral/services/%00",
        "/openreferral/services?page=99999999999999999999",
    ],
)
def test_odd_urls_are_4xx_problems(api: Api, path: str) -> None:
    r = api.client.get(path, headers=api.as_("admin"))
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)


def test_a_streamed_oversized_body_is_413(settings: DirectorySettings, keys: Keys) -> None:
    def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 1024

    app = create_app(settings.model_copy(update={"max_body_bytes": 2048}))
    with TestClient(app) as client:
        r = client.post(
            "/providers",
            content=chunks(),
            headers={**keys.of("admin"), "Content-Type": "application/json"},
        )
    assert_problem(r, 413)
