"""The router with the reports endpoint, on a fresh database per test (SQLite and PostgreSQL:
``database_url`` comes from ``tests/router/conftest.py``), a stand-in directory and keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.common.auth.schemas import Role
from services.common.settings import Environment
from services.router.app import create_app
from services.router.settings import RouterSettings
from tests.router.api.fakes import FakeDirectory, fresh_shipped
from tests.router.api.helpers import Api, Keys, make_keys

WHO = {
    "admin": (Role.ADMIN, None),
    "referrer": (Role.REFERRER, None),
    "service": (Role.SERVICE, None),
    "idva": (Role.PROVIDER, "idva-service"),
    "housing": (Role.PROVIDER, "cambridge-city-council"),
    "victim_support": (Role.PROVIDER, "victim-support"),
    "young": (Role.PROVIDER, "young-victims-service"),
    "advice": (Role.PROVIDER, "citizens-advice-cambridgeshire"),
}


@pytest.fixture
def fake_directory() -> FakeDirectory:
    return FakeDirectory(fresh_shipped(dt.datetime.now(dt.UTC)))


@pytest.fixture
def router_settings(database_url: str) -> RouterSettings:
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
def keys(engine: Engine) -> Keys:
    return make_keys(engine, WHO)


@pytest.fixture
def client(router_settings: RouterSettings, fake_directory: FakeDirectory) -> Iterator[TestClient]:
    app = create_app(router_settings, directory_transport=fake_directory.transport())
    with TestClient(app) as client:
        yield client


@pytest.fixture
def api(client: TestClient, keys: Keys) -> Api:
    return Api(client=client, keys=keys)
