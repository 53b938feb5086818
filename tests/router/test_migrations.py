"""The router's database is built by its migrations alone, and they match the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from services.common.db import create_db_engine
from services.router.db import MIGRATIONS, metadata
from tests.conftest import SchemaFactory


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_object": MIGRATIONS.include_object,
                "compare_type": True,
                "version_table": MIGRATIONS.version_table,
            },
        )
        return list(compare_metadata(context, metadata))


def test_the_models_match_the_migrated_schema(engine: Engine) -> None:
    assert _diff(engine) == []
    with engine.connect() as connection:
        assert MIGRATIONS.current(connection) == MIGRATIONS.head()


@pytest.fixture
def own_engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of this test's own (never the session's shared one): it is taken down."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'router.db'}"
    else:
        schemas: SchemaFactory = request.getfixturevalue("postgres_schemas")
        url = schemas("router_down")
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def test_downgrade_to_nothing_and_back(own_engine: Engine) -> None:
    MIGRATIONS.upgrade(own_engine)
    MIGRATIONS.downgrade(own_engine, "base")
    assert set(inspect(own_engine).get_table_names()) & MIGRATIONS.tables == set()
    MIGRATIONS.upgrade(own_engine)
    assert MIGRATIONS.tables <= set(inspect(own_engine).get_table_names())
    assert _diff(own_engine) == []
