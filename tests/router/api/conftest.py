"""The fixtures of ``tests/router/conftest.py`` under the names these tests (and choices and
family, which import them) use: ``router_database_url`` is ``database_url``, ``router_engine``
is ``engine``, and so on. One database per test, whichever names a test mixes; ``api`` is the
shared one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.router.settings import RouterSettings

from .helpers import Keys


@pytest.fixture
def router_database_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def router_engine(engine: Engine) -> Engine:
    return engine


@pytest.fixture
def router_settings(api_settings: RouterSettings) -> RouterSettings:
    return api_settings


@pytest.fixture
def router_keys(keys: Keys) -> Keys:
    return keys


@pytest.fixture
def router_client(client: TestClient) -> TestClient:
    return client
