"""The directory under test: a database built by its migrations, an app, keys, a client.

Every test gets a database of its own, in the state the migrations leave it: on SQLite a copy of
a file migrated once per session; on PostgreSQL the session's schema (migrated once), emptied
before each test.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from services.common.db import create_db_engine, writer
from services.common.settings import Environment
from services.directory.app import create_app
from services.directory.db import MIGRATIONS
from services.directory.settings import DirectorySettings
from tests.conftest import SchemaFactory

from .helpers import Api, Keys, make_keys

# Emptied before each PostgreSQL test (directory_state is reset instead: migrations seed it).
TABLES_TO_EMPTY = sorted(MIGRATIONS.tables - {"directory_state"})


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "directory.db"
    engine = create_db_engine(f"sqlite:///{path}")
    MIGRATIONS.upgrade(engine)
    engine.dispose()  # the last connection out checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_engine(postgres_schemas: SchemaFactory) -> Iterator[Engine]:
    url = postgres_schemas("directory")
    engine = create_db_engine(url)
    MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    with writer(engine).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES_TO_EMPTY)} RESTART IDENTITY CASCADE"))
        connection.execute(
            text("UPDATE directory_state SET version = 1, token = :token"),
            {"token": uuid.uuid4().hex},
        )


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty directory database for this test alone."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "directory.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue("postgres_engine")
    _empty(engine)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A second way into the test's database, to check what the API wrote."""
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> DirectorySettings:
    # Explicit values: a developer's environment must not change what the tests see.
    return DirectorySettings(
        directory_database_url=database_url,
        environment=Environment.DEVELOPMENT,
        allow_insecure_webhooks=False,
        max_body_bytes=1_048_576,
        snapshot_cache_size=4,
    )


@pytest.fixture
def app(settings: DirectorySettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def keys(engine: Engine) -> Keys:
    return make_keys(engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def api(client: TestClient, keys: Keys) -> Api:
    return Api(client=client, keys=keys)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
