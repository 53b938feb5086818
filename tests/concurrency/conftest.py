"""Two router instances on one PostgreSQL database, for the concurrency tests.

Each instance is a full app from ``create_app`` (its own engine, pool, directory view and, where
asked, its own webhook worker), served through its own ``TestClient``; many threads call both
at once, and the endpoints run in each app's thread pool, so the database sees real concurrent
transactions. Each test gets a fresh schema, migrated. These tests need PostgreSQL: without it
they skip, or fail under ``PATHWAYS_REQUIRE_POSTGRES=1`` (``tests/conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.common.db import create_db_engine
from services.common.settings import Environment
from services.router.app import create_app
from services.router.db import MIGRATIONS
from services.router.settings import RouterSettings
from tests.conftest import SchemaFactory
from tests.faults import figures
from tests.router.api.fakes import FakeDirectory, fresh_shipped
from tests.router.api.helpers import Keys, make_keys

THREADS_JOIN_S = 120.0


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures.report(terminalreporter, "concurrency")


@pytest.fixture
def database_url(postgres_schemas: SchemaFactory) -> Iterator[str]:
    """A fresh PostgreSQL schema, migrated, for this test alone."""
    url = postgres_schemas("concurrency")
    engine = create_db_engine(url)
    try:
        MIGRATIONS.upgrade(engine)
    finally:
        engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def keys(engine: Engine) -> Keys:
    return make_keys(engine)


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory(fresh_shipped(dt.datetime.now(dt.UTC)))


def router_settings(database_url: str, **overrides: Any) -> RouterSettings:
    values: dict[str, Any] = {
        "router_database_url": database_url,
        "environment": Environment.DEVELOPMENT,
        "directory_url": "http://directory.test",
        "directory_api_key": "directory-service-key",
        "directory_retries": 0,
        "snapshot_max_age_seconds": 0,
        "run_worker": False,
        **overrides,
    }
    return RouterSettings(**values)


@dataclass
class Instances:
    """Router instances sharing one database; ``call`` spreads requests over them."""

    clients: list[TestClient]
    keys: Keys

    def client(self, n: int) -> TestClient:
        return self.clients[n % len(self.clients)]

    def post(self, n: int, path: str, who: str, json: Any = None, **kw: Any) -> httpx2.Response:
        headers = {**self.keys.of(who), **kw.pop("headers", {})}
        return self.client(n).post(path, json=json, headers=headers, **kw)

    def get(self, n: int, path: str, who: str, **kw: Any) -> httpx2.Response:
        return self.client(n).get(path, headers=self.keys.of(who), **kw)


InstancesFactory = Callable[..., Instances]


@pytest.fixture
def make_instances(
    database_url: str, keys: Keys, directory: FakeDirectory
) -> Iterator[InstancesFactory]:
    """``make_instances(count=2, webhook_transports=None, **settings)``: started apps."""
    with ExitStack() as stack:

        def make(
            count: int = 2,
            *,
            webhook_transports: list[Any] | None = None,
            **overrides: Any,
        ) -> Instances:
            clients = []
            for n in range(count):
                app = create_app(
                    router_settings(database_url, **overrides),
                    directory_transport=directory.transport(),
                    webhook_transport=webhook_transports[n] if webhook_transports else None,
                )
                client = stack.enter_context(TestClient(app))
                # FastAPI builds its routes' request models on the first request that walks
                # them; the instances share the module-level routers, and two apps building the
                # same route at once trip a pydantic warning (an error in tests). A path that
                # matches nothing walks every route: do it once, before any crowd.
                assert client.get("/no-such-path").status_code == 404
                clients.append(client)
            return Instances(clients=clients, keys=keys)

        yield make


@dataclass
class Crowd:
    """Runs ``action(n)`` for n in range(count) on ``count`` threads released together;
    collects results and the exceptions a thread cannot raise itself."""

    results: dict[int, Any] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)

    def run(self, count: int, action: Callable[[int], Any]) -> dict[int, Any]:
        start = threading.Barrier(count)

        def one(n: int) -> None:
            try:
                start.wait(30)
                self.results[n] = action(n)
            except BaseException as exc:
                self.errors.append(exc)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(THREADS_JOIN_S)
        assert not any(t.is_alive() for t in threads), "a thread hung"
        assert not self.errors, self.errors
        return self.results
