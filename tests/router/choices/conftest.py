"""The router on SQLite and PostgreSQL with the fixtures of ``tests/router/api`` (database,
stand-in directory, keys, client)."""

from __future__ import annotations

from tests.router.api.conftest import (  # noqa: F401 - fixtures
    api,
    fake_directory,
    router_client,
    router_database_url,
    router_engine,
    router_keys,
    router_postgres_engine,
    router_settings,
    router_sqlite_template,
)
