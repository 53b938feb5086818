"""The router fixtures of ``tests/router/conftest.py`` (``api`` and, by the names of
``tests/router/api``, ``router_engine``), with a key for the young victims service's provider
as well."""

from __future__ import annotations

import pytest

from services.common.auth.schemas import Role
from tests.router.api.conftest import (  # noqa: F401 - fixtures
    router_client,
    router_database_url,
    router_engine,
    router_keys,
    router_settings,
)
from tests.router.api.helpers import WHO

from .helpers import YOUNG_PROVIDER


@pytest.fixture
def who() -> dict[str, tuple[Role, str | None]]:
    """``tests.router.api.helpers.WHO``, and ``young``: the provider that runs the young
    victims service in the shipped directory."""
    return {**WHO, "young": (Role.PROVIDER, YOUNG_PROVIDER)}
