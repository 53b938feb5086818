"""GET /snapshot: versioned, strong ETag changing on every write, 304, cached per version."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from graph.codec import directory_from_dict
from services.common.db import _pool_capacity
from services.directory.app import create_app
from services.directory.settings import DirectorySettings
from services.directory.snapshot.schemas import SnapshotDocument
from services.directory.snapshot.service import SNAPSHOT_CONNECTIONS, SnapshotCache

from ..helpers import Api, Keys, assert_problem


def _cache(app: FastAPI, api: Api) -> SnapshotCache:
    # The lifespan's cache, as the snapshot endpoint sees it.
    api.get("/snapshot", "service")
    cache = api.client.app_state["snapshots"]
    assert isinstance(cache, SnapshotCache)
    return cache


@pytest.fixture
def directory(api: Api) -> None:
    api.create_provider()
    api.create_service("svc-a", webhook={"url": "https://hooks.example.org/a"})
    api.create_service("svc-b", eligibility={})
    api.create_pathway("entry:police", "svc-a")
    api.create_pathway("svc-a", "svc-b", days=2)


def test_the_snapshot_is_the_directory_graph_reads(api: Api, directory: None) -> None:
    r = api.get("/snapshot", "service")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    SnapshotDocument.model_validate(body)
    read = directory_from_dict(body)  # strict: exactly what graph/ accepts
    assert [s.id for s in read.services] == ["svc-a", "svc-b"]
    assert {(p.from_node, p.to_service, p.days) for p in read.pathways} == {
        ("entry:police", "svc-a", 1.0),
        ("svc-a", "svc-b", 2.0),
    }
    assert body["providers"][0]["id"] == "prov-a"
    assert r.headers["x-directory-version"] == str(body["version"])


def test_the_snapshot_never_carries_webhooks(api: Api, directory: None) -> None:
    text = api.get("/snapshot", "admin").text
    assert "hooks.example.org" not in text and "whsec_" not in text and "webhook" not in text


def test_if_none_match_gives_304_until_something_changes(api: Api, directory: None) -> None:
    first = api.get("/snapshot", "service")
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = api.get("/snapshot", "service", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert (
        api.get("/snapshot", "service", headers={"If-None-Match": f'"x", {etag}'}).status_code
        == 304
    )
    assert api.get("/snapshot", "service", headers={"If-None-Match": "*"}).status_code == 304
    assert api.get("/snapshot", "service", headers={"If-None-Match": '"other"'}).status_code == 200


def _only_pathway_from(api: Api, source: str) -> str:
    (pathway,) = api.get("/pathways", params={"from_service": source}).json()["items"]
    return str(pathway["id"])


def _writes(api: Api) -> list[Callable[[], object]]:
    admin = api.as_("admin")
    return [
        lambda: api.create_provider("prov-b"),
        lambda: api.client.patch(
            "/providers/prov-b", json={"name": "B"}, headers={**admin, "If-Match": "*"}
        ),
        lambda: api.create_service("svc-c", "prov-b"),
        lambda: api.client.patch(
            "/services/svc-c", json={"name": "C"}, headers={**admin, "If-Match": "*"}
        ),
        lambda: api.client.put(
            "/services/svc-c/capacity", json={"status": "amber"}, headers=api.as_("admin")
        ),
        lambda: api.create_pathway("svc-b", "svc-c"),
        lambda: api.client.delete(f"/pathways/{_only_pathway_from(api, 'svc-b')}", headers=admin),
        lambda: api.client.delete("/services/svc-c", headers=admin),
        lambda: api.client.delete("/providers/prov-b", headers=admin),
    ]


def test_every_write_changes_the_etag_and_raises_the_version(api: Api, directory: None) -> None:
    seen = {api.snapshot_etag()}
    version = api.get("/snapshot", "service").json()["version"]
    for write in _writes(api):
        response = write()
        assert getattr(response, "status_code", 200) in (200, 201, 204), getattr(
            response, "text", ""
        )
        etag = api.snapshot_etag()
        assert etag not in seen
        seen.add(etag)
        now = api.get("/snapshot", "service").json()["version"]
        assert now == version + 1  # one write, one version
        version = now


def test_a_refused_or_empty_write_leaves_the_version(api: Api, directory: None) -> None:
    etag = api.snapshot_etag()
    assert_problem(
        api.client.post(
            "/pathways",
            json={"from_service": "svc-a", "to_service": "svc-b"},
            headers=api.as_("admin"),
        ),
        409,
    )
    assert (
        api.client.patch(
            "/services/svc-a", json={}, headers={**api.as_("admin"), "If-Match": "*"}
        ).status_code
        == 200
    )
    assert api.snapshot_etag() == etag


def test_the_snapshot_is_built_once_per_version(app: FastAPI, api: Api, directory: None) -> None:
    cache = _cache(app, api)
    builds = cache.builds
    for _ in range(5):
        api.get("/snapshot", "service")
        api.get("/snapshot", "admin", headers={"If-None-Match": api.snapshot_etag()})
    assert cache.builds == builds
    api.create_pathway("entry:self", "svc-a")
    api.get("/snapshot", "service")
    api.get("/snapshot", "service")
    assert cache.builds == builds + 1


def test_a_snapshot_is_built_with_every_request_connection_taken(
    settings: DirectorySettings, keys: Keys, directory: None
) -> None:
    """With one database connection per process, the request asking for a snapshot holds it:
    the build reads through a pool of its own, not by waiting (until the pool timed out, 30 s)
    for a connection the request itself holds."""
    one = settings.model_copy(update={"database_connections": 1})
    with TestClient(create_app(one)) as client:
        api = Api(client=client, keys=keys)
        started = time.monotonic()
        r = api.get("/snapshot", "service")
        assert r.status_code == 200, r.text
        assert {s["id"] for s in r.json()["services"]} == {"svc-a", "svc-b"}
        cache = client.app_state["snapshots"]
        assert cache.builds == 1 and _pool_capacity(cache.engine) == SNAPSHOT_CONNECTIONS
        assert time.monotonic() - started < 20
