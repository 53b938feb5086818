"""/healthz, /readyz and /vocabulary: open, and honest about the database."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from graph.vocabulary import vocabulary
from services.common.settings import Environment
from services.directory.app import create_app
from services.directory.db import MIGRATIONS
from services.directory.settings import DirectorySettings

from .helpers import assert_problem


def test_healthz_needs_no_key(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client: TestClient) -> None:
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "schema_revision": MIGRATIONS.head()}


def _settings(url: str) -> DirectorySettings:
    return DirectorySettings(directory_database_url=url, environment=Environment.DEVELOPMENT)


def test_readyz_is_503_while_the_database_is_unreachable() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    app = create_app(_settings("postgresql+psycopg://nobody@127.0.0.1:1/nothing"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        doc = assert_problem(client.get("/readyz"), 503, "unavailable")
    assert "unreachable" in doc["detail"]


def test_readyz_is_503_until_the_database_is_migrated(tmp_path: Path) -> None:
    app = create_app(_settings(f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app) as client:
        doc = assert_problem(client.get("/readyz"), 503, "unavailable")
    assert "pathways db upgrade --service directory" in doc["detail"]


def test_vocabulary_is_graphs_and_needs_no_key(client: TestClient) -> None:
    r = client.get("/vocabulary")
    assert r.status_code == 200
    assert r.json() == vocabulary()
