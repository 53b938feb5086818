"""Both services in process, each on a freshly migrated database of its own (SQLite and
PostgreSQL, through ``backend``), with a key for every role.

The router plans from a stand-in directory (the shipped one, served through
``httpx.MockTransport``), as its own API tests do; the directory is the real app. Fixture names
carry the service's name so that nothing here shadows the other suites' fixtures.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from services.common.db import create_db_engine, writer
from services.common.settings import Environment
from services.directory.app import create_app as create_directory
from services.directory.db import MIGRATIONS as DIRECTORY_MIGRATIONS
from services.directory.settings import DirectorySettings
from services.router.app import create_app as create_router
from services.router.db import MIGRATIONS as ROUTER_MIGRATIONS
from services.router.settings import RouterSettings
from tests.conftest import SchemaFactory
from tests.directory.helpers import Keys as DirectoryKeys
from tests.directory.helpers import make_keys as make_directory_keys
from tests.router.api.fakes import FakeDirectory, fresh_shipped
from tests.router.api.helpers import Keys as RouterKeys
from tests.router.api.helpers import make_keys as make_router_keys

from .helpers import HOOK_SECRET, HOOK_URL

# --------------------------------------------------------------------------- databases


def _template(factory: pytest.TempPathFactory, name: str, migrations: object) -> Path:
    path = factory.mktemp(f"security-{name}") / f"{name}.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)  # type: ignore[attr-defined]
    engine.dispose()  # the last connection out checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def security_directory_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory, "directory", DIRECTORY_MIGRATIONS)


@pytest.fixture(scope="session")
def security_router_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _template(tmp_path_factory, "router", ROUTER_MIGRATIONS)


@pytest.fixture(scope="session")
def security_directory_postgres(postgres_schemas: SchemaFactory) -> Iterator[Engine]:
    engine = create_db_engine(postgres_schemas("security_directory"))
    DIRECTORY_MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def security_router_postgres(postgres_schemas: SchemaFactory) -> Iterator[Engine]:
    engine = create_db_engine(postgres_schemas("security_router"))
    ROUTER_MIGRATIONS.upgrade(engine)
    yield engine
    engine.dispose()


def _fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path, service: str) -> str:
    if backend == "sqlite":
        template: Path = request.getfixturevalue(f"security_{service}_template")
        path = tmp_path / f"{service}.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue(f"security_{service}_postgres")
    migrations = DIRECTORY_MIGRATIONS if service == "directory" else ROUTER_MIGRATIONS
    tables = sorted(migrations.tables - {"directory_state"})
    with writer(engine).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        if service == "directory":  # seeded by the migrations: reset, not emptied
            connection.execute(
                text("UPDATE directory_state SET version = 1, token = :token"),
                {"token": uuid.uuid4().hex},
            )
    return engine.url.render_as_string(hide_password=False)


# --------------------------------------------------------------------------- the directory


@pytest.fixture
def directory_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _fresh_url(backend, request, tmp_path, "directory")


@pytest.fixture
def directory_engine(directory_url: str) -> Iterator[Engine]:
    engine = create_db_engine(directory_url)
    yield engine
    engine.dispose()


@pytest.fixture
def directory_settings(directory_url: str) -> DirectorySettings:
    # Explicit values: a developer's environment must not change what the tests see.
    return DirectorySettings(
        directory_database_url=directory_url,
        environment=Environment.DEVELOPMENT,
        allow_insecure_webhooks=False,
        metrics_public=False,
        max_body_bytes=1_048_576,
        snapshot_cache_size=4,
    )


@pytest.fixture
def directory_app(directory_settings: DirectorySettings) -> FastAPI:
    return create_directory(directory_settings)


@pytest.fixture
def directory_keys(directory_engine: Engine) -> DirectoryKeys:
    """admin, referrer, service, provider_a (``prov-a``) and provider_b (``prov-b``)."""
    return make_directory_keys(directory_engine)


@pytest.fixture
def directory(directory_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(directory_app) as client:
        yield client


# --------------------------------------------------------------------------- the router


@pytest.fixture
def router_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _fresh_url(backend, request, tmp_path, "router")


@pytest.fixture
def router_engine(router_url: str) -> Iterator[Engine]:
    engine = create_db_engine(router_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_directory() -> FakeDirectory:
    """The shipped directory, with a webhook for every service (so that the router keeps
    webhook URLs and secrets that must never reach anyone but an admin)."""
    directory = fresh_shipped(dt.datetime.now(dt.UTC))
    targets = [
        {
            "service_id": s.id,
            "provider_id": s.provider_id,
            "url": f"{HOOK_URL}/{s.id}",
            "secret": HOOK_SECRET,
        }
        for s in directory.services
    ]
    return FakeDirectory(directory, targets=targets)


@pytest.fixture
def router_settings(router_url: str) -> RouterSettings:
    return RouterSettings(
        router_database_url=router_url,
        environment=Environment.DEVELOPMENT,
        directory_url="http://directory.test",
        directory_api_key="directory-service-key",  # type: ignore[arg-type]
        directory_retries=0,
        snapshot_max_age_seconds=0,
        run_worker=False,
        allow_private_webhook_targets=False,
        allow_insecure_webhooks=False,
        metrics_public=False,
    )


@pytest.fixture
def router_app(router_settings: RouterSettings, fake_directory: FakeDirectory) -> FastAPI:
    return create_router(router_settings, directory_transport=fake_directory.transport())


@pytest.fixture
def router_keys(router_engine: Engine) -> RouterKeys:
    """See ``tests.router.api.helpers.WHO``: admin, two referrers, six providers, service."""
    return make_router_keys(router_engine)


@pytest.fixture
def router(router_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(router_app) as client:
        yield client
