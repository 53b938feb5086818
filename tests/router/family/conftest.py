"""The router on SQLite and PostgreSQL with the fixtures of ``tests/router/api`` (database,
stand-in directory, keys, client), and a key for the young victims service's provider."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from services.common.auth.schemas import Role
from tests.router.api.conftest import (  # noqa: F401 - fixtures
    api,
    fake_directory,
    router_client,
    router_database_url,
    router_engine,
    router_postgres_engine,
    router_settings,
    router_sqlite_template,
)
from tests.router.api.helpers import WHO, Keys, make_keys

from .helpers import YOUNG_PROVIDER


@pytest.fixture
def router_keys(router_engine: Engine) -> Keys:  # noqa: F811 - the fixture, imported above
    """The keys of ``tests.router.api.helpers.WHO``, and ``young``: the provider that runs
    the young victims service in the shipped directory."""
    return make_keys(router_engine, {**WHO, "young": (Role.PROVIDER, YOUNG_PROVIDER)})
