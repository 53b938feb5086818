"""Alembic, driven from code: each service's database is built only by its migrations.

A service describes its migrations with a ``MigrationSet`` (folder, version table, the tables it
owns) and calls ``run_env`` from its ``migrations/env.py``. Each service keeps its own version
table, so two services pointed at one PostgreSQL database by mistake cannot corrupt each other's
migration history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData

from .db import create_db_engine, writer


@dataclass(frozen=True, slots=True)
class MigrationSet:
    """The migrations of one service."""

    script_location: Path
    version_table: str
    tables: frozenset[str]
    """The tables this service owns: autogenerate and drift checks look at these only."""

    def config(self, *, url: str | None = None, connection: Connection | None = None) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(self.script_location))
        if url is not None:
            cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    def head(self) -> str:
        head = ScriptDirectory.from_config(self.config()).get_current_head()
        if head is None:  # pragma: no cover - a service always has migrations
            raise RuntimeError(f"no migrations in {self.script_location}")
        return head

    def current(self, connection: Connection) -> str | None:
        """The revision the database is at, or None before the first migration."""
        ctx = MigrationContext.configure(connection, opts={"version_table": self.version_table})
        return ctx.get_current_revision()

    def upgrade(self, engine: Engine, revision: str = "head") -> None:
        with writer(engine).begin() as connection:
            command.upgrade(self.config(connection=connection), revision)

    def downgrade(self, engine: Engine, revision: str) -> None:
        with writer(engine).begin() as connection:
            command.downgrade(self.config(connection=connection), revision)

    def include_object(
        self, obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """Alembic's filter: only this service's tables and what belongs to them."""
        if type_ == "table":
            return name in self.tables
        table = getattr(obj, "table", None)
        return table is None or getattr(table, "name", None) in self.tables


def run_env(
    context: EnvironmentContext,
    *,
    migration_set: MigrationSet,
    metadata: MetaData,
    default_url: Callable[[], str],
) -> None:
    """The body of a service's ``migrations/env.py``.

    Uses the connection ``MigrationSet.upgrade`` passes in; run by hand (``alembic -c
    services/<service>/alembic.ini upgrade head``) it connects to ``sqlalchemy.url`` or, failing
    that, to the service's configured database.
    """
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "version_table": migration_set.version_table,
        "include_object": migration_set.include_object,
        "compare_type": True,
    }
    if context.is_offline_mode():
        url = context.config.get_main_option("sqlalchemy.url") or default_url()
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection, render_as_batch=connection.dialect.name == "sqlite", **options
        )
        with context.begin_transaction():
            context.run_migrations()

    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = create_db_engine(context.config.get_main_option("sqlalchemy.url") or default_url())
    try:
        with writer(engine).begin() as conn:
            run(conn)
    finally:
        engine.dispose()
