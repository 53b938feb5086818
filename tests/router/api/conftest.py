"""The router under test: a database built by its migrations, a stand-in directory, keys and a
client. Every test gets its own database (a copy of a migrated SQLite file, or the session's
PostgreSQL schema emptied)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from services.common.db import create_db_engine, writer
from services.common.settings import Environment
from services.router.app import create_app
from services.router.db import MIGRATIONS
from services.router.settings import RouterSettings
from tests.conftest import SchemaFactory

from .fakes import FakeDirectory, fresh_shipped
from .helpers import Api, Keys, make_keys


@pytest.fixture(scope="session")
def router_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("router-template") / "router.db"
    engine = create_db_engine(f"sqlite:///{path}")
    MIGRATIONS.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def router_postgres_engine(postgres_schemas: SchemaFactory) -> Iterator[Engine]:
    engine = create_db_engine(postgres_schemas("router_api"))
    MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def router_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("router_sqlite_template")
        path = tmp_path / "router.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue("router_postgres_engine")
    with writer(engine).begin() as connection:
        connection.execute(
            text(f"TRUNCATE {', '.join(sorted(MIGRATIONS.tables))} RESTART IDENTITY CASCADE")
        )
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def router_engine(router_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(router_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_directory() -> FakeDirectory:
    return FakeDirectory(fresh_shipped(dt.datetime.now(dt.UTC)))


@pytest.fixture
def router_settings(router_database_url: str) -> RouterSettings:
    return RouterSettings(
        router_database_url=router_database_url,
        environment=Environment.DEVELOPMENT,
        directory_url="http://directory.test",
        directory_api_key="directory-service-key",  # type: ignore[arg-type]
        directory_retries=0,
        snapshot_max_age_seconds=0,
        run_worker=False,
    )


@pytest.fixture
def router_keys(router_engine: Engine) -> Keys:
    return make_keys(router_engine)


@pytest.fixture
def router_client(
    router_settings: RouterSettings, fake_directory: FakeDirectory
) -> Iterator[TestClient]:
    app = create_app(router_settings, directory_transport=fake_directory.transport())
    with TestClient(app) as client:
        yield client


@pytest.fixture
def api(router_client: TestClient, router_keys: Keys) -> Api:
    return Api(client=router_client, keys=router_keys)
