"""The console under test: a directory database built by the migrations and loaded with the
shipped Cambridgeshire and Peterborough directory, the directory app (with its console), keys,
and a client that talks https (the session cookie is Secure).

Seeding takes a second or two, so it is done once per session: on SQLite into a template file
that each test copies; on PostgreSQL into a schema of its own that each test's schema is
refilled from.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from services.common.db import create_db_engine, writer
from services.common.settings import Environment
from services.directory.app import create_app
from services.directory.db import MIGRATIONS
from services.directory.seed import seed
from services.directory.settings import DirectorySettings
from tests.conftest import SchemaFactory
from tests.directory.helpers import Keys, make_keys

# In the order their foreign keys allow; the audit log and the keys are not copied (each test
# makes its own keys, and starts with an empty audit log).
SEEDED_TABLES = ("providers", "services", "service_needs", "service_areas", "pathways")
EMPTIED = sorted(MIGRATIONS.tables - {"directory_state"})
HTTPS = "https://testserver"


def _seed(engine: Engine) -> None:
    MIGRATIONS.upgrade(engine)
    with Session(writer(engine)) as session:
        seed(session=session)
        session.commit()


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("console") / "directory.db"
    engine = create_db_engine(f"sqlite:///{path}")
    _seed(engine)
    engine.dispose()  # the last connection out checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def seeded_postgres_schema(postgres_schemas: SchemaFactory) -> str:
    url = postgres_schemas("console_seed")
    engine = create_db_engine(url)
    _seed(engine)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    engine.dispose()
    return str(schema)


@pytest.fixture(scope="session")
def console_postgres_engine(postgres_schemas: SchemaFactory) -> Iterator[Engine]:
    engine = create_db_engine(postgres_schemas("console"))
    MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


def _refill(engine: Engine, source_schema: str) -> None:
    with writer(engine).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(EMPTIED)} RESTART IDENTITY CASCADE"))
        for table in SEEDED_TABLES:
            connection.execute(text(f'INSERT INTO {table} SELECT * FROM "{source_schema}".{table}'))
        connection.execute(
            text(
                "UPDATE directory_state SET version = s.version, token = :token "
                f'FROM "{source_schema}".directory_state s'
            ),
            {"token": uuid.uuid4().hex},
        )


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A directory database holding the shipped directory, for this test alone."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("seeded_sqlite")
        path = tmp_path / "directory.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    source: str = request.getfixturevalue("seeded_postgres_schema")
    engine: Engine = request.getfixturevalue("console_postgres_engine")
    _refill(engine, source)
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
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
        console_secret=None,
        console_cookie_secure=True,
    )


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    """The directory's OpenAPI document, built once: the JSON-body check reads it on the first
    form each app receives, and building it anew for every test's app costs half a second."""
    return create_app(DirectorySettings()).openapi()


@pytest.fixture
def app(settings: DirectorySettings, openapi_document: dict[str, Any]) -> FastAPI:
    app = create_app(settings)
    app.openapi_schema = openapi_document
    return app


@pytest.fixture
def keys(engine: Engine) -> Keys:
    return make_keys(engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=HTTPS, follow_redirects=False) as client:
        yield client
