"""One id from the router into the directory: the router's calls to the directory send the
``X-Request-ID`` of the request being served, and the directory logs its own access line with
it. Both apps are real and in process: the router's directory client reaches the directory
through a transport that hands each request to the directory's test client (no network)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from services.router.app import create_app as create_router
from services.router.settings import RouterSettings
from tests.directory.helpers import Keys as DirectoryKeys
from tests.router.api.helpers import Keys as RouterKeys
from tests.router.api.helpers import referral_body


class DirectoryBridge(httpx.BaseTransport):
    """Sends the router's requests to the directory app; notes each one's ``X-Request-ID``."""

    def __init__(self, directory: TestClient) -> None:
        self.directory = directory
        self.seen: list[tuple[str, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, request.headers.get("X-Request-ID")))
        got = self.directory.request(
            request.method, request.url.path, headers=dict(request.headers)
        )
        return httpx.Response(got.status_code, headers=dict(got.headers), content=got.content)


@pytest.fixture
def bridge(directory: TestClient) -> DirectoryBridge:
    return DirectoryBridge(directory)


@pytest.fixture
def router_client(
    router_settings: RouterSettings, directory_keys: DirectoryKeys, bridge: DirectoryBridge
) -> Iterator[TestClient]:
    settings = router_settings.model_copy(
        update={"directory_api_key": SecretStr(directory_keys.service)}
    )
    with TestClient(create_router(settings, directory_transport=bridge)) as client:
        yield client


def test_the_request_id_crosses_from_the_router_to_the_directory(
    router_client: TestClient,
    router_keys: RouterKeys,
    bridge: DirectoryBridge,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The start-up read of the snapshot is made outside any request: an id of its own.
    assert bridge.seen, "the router reads the directory at start-up"
    (_path, startup_id) = bridge.seen[0]
    assert startup_id is not None and re.fullmatch(r"[0-9a-f]{32}", startup_id)
    bridge.seen.clear()

    caplog.set_level(logging.INFO, logger="pathways.access")
    got = router_client.post(
        "/referrals",
        json=referral_body(),
        headers={**router_keys.of("referrer"), "X-Request-ID": "triage-7f3a.1"},
    )
    assert got.headers["X-Request-ID"] == "triage-7f3a.1"

    assert ("/snapshot", "triage-7f3a.1") in bridge.seen
    directory_lines = [r for r in caplog.records if getattr(r, "route", None) == "/snapshot"]
    assert [getattr(r, "request_id", None) for r in directory_lines] == ["triage-7f3a.1"]
    router_lines = [r for r in caplog.records if getattr(r, "route", None) == "/referrals"]
    assert [getattr(r, "request_id", None) for r in router_lines] == ["triage-7f3a.1"]


def test_each_call_outside_a_request_gets_its_own_id(
    router_client: TestClient, bridge: DirectoryBridge
) -> None:
    # Another start-up-like read, from the test's thread: no request is being served.
    app_state = router_client.app_state
    view = app_state["directory"]
    bridge.seen.clear()
    view.current()
    ids = [rid for _path, rid in bridge.seen]
    assert ids and all(rid is not None and re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids)
