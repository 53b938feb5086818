"""The router on SQLite and PostgreSQL with the fixtures of ``tests/router/api`` (database,
stand-in directory, keys, client), and a key for the young victims service's provider."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.auth.schemas import Principal, Role
from services.common.auth.service import create_key
from services.common.db import writer
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
from tests.router.api.helpers import Keys, make_keys

from .helpers import YOUNG_PROVIDER


@pytest.fixture
def router_keys(router_engine: Engine) -> Keys:  # noqa: F811 - the fixture, imported above
    """The keys of ``tests.router.api.helpers.WHO``, and ``young``: the provider that runs
    the young victims service in the shipped directory."""
    keys = make_keys(router_engine)
    with Session(writer(router_engine)) as session:
        _row, young = create_key(
            session=session,
            role=Role.PROVIDER,
            name="test-young",
            provider_id=YOUNG_PROVIDER,
            by=Principal.operator("tests"),
        )
        session.commit()
    return Keys({**keys.keys, "young": young})
