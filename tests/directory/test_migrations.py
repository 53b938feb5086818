"""The database is built by the migrations alone, and they match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from services.common.db import create_db_engine
from services.directory.db import MIGRATIONS, metadata


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


def test_the_database_is_at_the_latest_revision(engine: Engine) -> None:
    with engine.connect() as connection:
        assert MIGRATIONS.current(connection) == MIGRATIONS.head()
        assert connection.execute(text("SELECT version FROM directory_state")).scalar_one() == 1


def test_downgrade_to_nothing_and_back(engine: Engine) -> None:
    MIGRATIONS.downgrade(engine, "base")
    tables = set(inspect(engine).get_table_names())
    assert tables & MIGRATIONS.tables == set()
    MIGRATIONS.upgrade(engine)
    assert MIGRATIONS.tables <= set(inspect(engine).get_table_names())
    assert _diff(engine) == []


def test_upgrading_an_up_to_date_database_changes_nothing(engine: Engine) -> None:
    with engine.connect() as connection:
        token = connection.execute(text("SELECT token FROM directory_state")).scalar_one()
    MIGRATIONS.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT token FROM directory_state")).scalar_one() == token


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'nested' / 'directory.db'}")
    try:
        MIGRATIONS.upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            with pytest.raises(IntegrityError):
                connection.execute(
                    text("INSERT INTO service_needs (service_id, need) VALUES ('ghost', 'health')")
                )
    finally:
        engine.dispose()
