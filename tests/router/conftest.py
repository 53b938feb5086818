"""The router under test: a database built by its migrations, fresh for every test.

``engine`` (and ``database_url``, ``settings``) run each test on SQLite and on PostgreSQL (see
``tests/conftest.py`` for when PostgreSQL runs, is skipped, or must not be). On SQLite each test
gets a copy of a file migrated once per session; on PostgreSQL the session's schema, migrated
once, is emptied before each test. Never ``create_all``: the database is what the migrations
make it.

``api`` (with ``client``, ``keys``, ``fake_directory`` and ``api_settings``) is the router app
on that database, reading a stand-in directory, with a key for each name in ``who`` (override
``who`` in a folder's conftest for other providers). ``tests/router/api`` gives them the names
its tests use (``router_engine`` is ``engine``…), so a test may mix both: one database.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from services.common.auth.schemas import Role
from services.common.db import create_db_engine, writer
from services.common.settings import Environment
from services.router.app import create_app
from services.router.db import MIGRATIONS
from services.router.settings import RouterSettings
from tests.conftest import SchemaFactory
from tests.router.api.fakes import FakeDirectory, fresh_shipped
from tests.router.api.helpers import WHO, Api, Keys, make_keys

TABLES_TO_EMPTY = sorted(MIGRATIONS.tables)


@pytest.fixture(scope="session")
def router_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("router-template") / "router.db"
    engine = create_db_engine(f"sqlite:///{path}")
    MIGRATIONS.upgrade(engine)
    engine.dispose()  # the last connection out checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def router_postgres_engine(postgres_schemas: SchemaFactory) -> Iterator[Engine]:
    engine = create_db_engine(postgres_schemas("router"))
    MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    with writer(engine).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES_TO_EMPTY)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty router database for this test alone."""
    return fresh_database_url(backend, request, tmp_path)


def fresh_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """``database_url``, for a conftest outside tests/router whose own ``database_url`` is
    another service's (it must import ``router_sqlite_template`` and
    ``router_postgres_engine``)."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("router_sqlite_template")
        path = tmp_path / "router.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue("router_postgres_engine")
    _empty(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database (make more with ``create_db_engine(database_url)``)."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> RouterSettings:
    # Explicit values: a developer's environment must not change what the tests see.
    return RouterSettings(
        router_database_url=database_url,
        environment=Environment.DEVELOPMENT,
        directory_url="http://127.0.0.1:9",
        directory_api_key=None,
        run_worker=False,
        worker_poll_seconds=0.05,
        webhook_timeout_seconds=2.0,
        webhook_max_attempts=5,
        webhook_backoff_base_seconds=2.0,
        webhook_backoff_max_seconds=600.0,
        allow_private_webhook_targets=False,
        allow_insecure_webhooks=False,
    )


@pytest.fixture
def fake_directory() -> FakeDirectory:
    return FakeDirectory(fresh_shipped(dt.datetime.now(dt.UTC)))


def fake_directory_settings(database_url: str) -> RouterSettings:
    """Settings for an app on ``database_url`` that reads a ``FakeDirectory``."""
    return RouterSettings(
        router_database_url=database_url,
        environment=Environment.DEVELOPMENT,
        directory_url="http://directory.test",
        directory_api_key="directory-service-key",
        directory_retries=0,
        snapshot_max_age_seconds=0,
        run_worker=False,
    )


@pytest.fixture
def api_settings(database_url: str) -> RouterSettings:
    """``settings`` for an app that reads ``fake_directory``."""
    return fake_directory_settings(database_url)


@pytest.fixture
def who() -> dict[str, tuple[Role, str | None]]:
    """The keys ``keys`` makes: a name for each role (and provider)."""
    return WHO


@pytest.fixture
def keys(engine: Engine, who: dict[str, tuple[Role, str | None]]) -> Keys:
    return make_keys(engine, who)


@pytest.fixture
def client(api_settings: RouterSettings, fake_directory: FakeDirectory) -> Iterator[TestClient]:
    app = create_app(api_settings, directory_transport=fake_directory.transport())
    with TestClient(app) as client:
        yield client


@pytest.fixture
def api(client: TestClient, keys: Keys) -> Api:
    return Api(client=client, keys=keys)
