"""The router fixtures of ``tests/router/conftest.py`` (``api``), with the names of
``tests/router/api`` (``router_engine``…) too."""

from __future__ import annotations

from tests.router.api.conftest import (  # noqa: F401 - fixtures
    router_client,
    router_database_url,
    router_engine,
    router_keys,
    router_settings,
)
