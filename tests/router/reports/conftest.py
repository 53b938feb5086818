"""The reports tests use the router fixtures of ``tests/router/conftest.py`` (``api`` on
``engine``), with keys for the providers of ``scenario.py``."""

from __future__ import annotations

import pytest

from services.common.auth.schemas import Role

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
def who() -> dict[str, tuple[Role, str | None]]:
    return WHO
