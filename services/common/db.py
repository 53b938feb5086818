"""Database engine and the request-scoped session.

- SQLite (the embedded default) runs in WAL mode with foreign keys on. SQLAlchemy, not the
  ``sqlite3`` driver, emits ``BEGIN``: reads get a real snapshot, and a request that may write
  starts with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing
  with "database is locked" when one upgrades its read lock.
- PostgreSQL through psycopg 3 (``postgresql+psycopg://``; a bare ``postgresql://`` is read the
  same way), with a connect timeout (5 s, or the URL's ``connect_timeout``) and pre-ping, so
  that while the database is unreachable ``/readyz`` and every request fail fast (a 503) and
  the pool recovers by itself once it is back.

``get_session`` is the only place that commits: on success when the endpoint returns (before the
response is sent), rolling back on any error. Code below it at most flushes.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    QueuePool,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

log = logging.getLogger("pathways.db")

WRITE_OPTION = "pathways_write"
"""Execution option marking a connection that may write (SQLite: ``BEGIN IMMEDIATE``)."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names the migrations can rely on (SQLite's batch mode needs them to alter)."""

# Every table model imports this module first (for UtcDateTime), so the convention is in place
# before any table is defined.
SQLModel.metadata.naming_convention = NAMING_CONVENTION
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 5


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime: give it a timezone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` as psycopg 3, the only PostgreSQL driver we ship."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``: a SQLite file (created with its folder) or PostgreSQL."""
    u = make_url(normalise_url(url))
    backend = u.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(u.render_as_string(hide_password=False), u.database)
    if backend == "postgresql":
        if u.get_driver_name() != "psycopg":
            raise ValueError(f"use postgresql+psycopg:// (psycopg 3), not {u.drivername}://")
        # A connect_timeout in the URL wins (connect_args would silently override it).
        connect_timeout = int(str(u.query.get("connect_timeout", POSTGRES_CONNECT_TIMEOUT_S)))
        return create_engine(
            u.difference_update_query(["connect_timeout"]),
            pool_pre_ping=True,
            connect_args={"connect_timeout": connect_timeout},
        )
    raise ValueError(
        f"unsupported database URL scheme {u.drivername!r}: "
        "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError("SQLite needs a file path (the services share it across threads)")
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # /readyz reports the database as unreachable
        log.warning("cannot create the folder of %s: %s", database, exc)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver (see the module docstring), then set the pragmas.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, marked as one whose transactions may write."""
    return engine.execution_options(**{WRITE_OPTION: True})


def ping(engine: Engine) -> None:
    """Raise if the database cannot be reached."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def request_engine(request: Request) -> Engine:
    """The engine the app's lifespan put in the request state."""
    engine = getattr(request.state, "engine", None)
    if not isinstance(engine, Engine):
        raise RuntimeError("no engine in the request state: is the app's lifespan running?")
    return engine


DB_SLOTS_MAX = 30
"""At most this many requests of one process work on the database at once (fewer when the
pool is smaller): well under the 40 worker threads sync endpoints run on (anyio's default)."""

_slots: weakref.WeakKeyDictionary[Engine, anyio.Semaphore] = weakref.WeakKeyDictionary()
_slots_lock = threading.Lock()


def _pool_capacity(engine: Engine) -> int:
    pool = engine.pool
    size = pool.size() if isinstance(pool, QueuePool) else DB_SLOTS_MAX
    overflow = int(getattr(pool, "_max_overflow", 0))
    return DB_SLOTS_MAX if overflow < 0 else max(1, min(DB_SLOTS_MAX, size + overflow))


async def database_slot(request: Request) -> AsyncIterator[None]:
    """Wait (in the event loop, holding no thread) for one of the process's database slots,
    and keep it until the request's session has committed.

    Without it a burst of requests deadlocks: each waits for a pool connection or a row lock
    in a worker thread, until every thread waits, while the request holding the lock needs a
    thread to serialise its response before it can commit and let the others go on. With as
    many slots as pooled connections, a request with a slot always finds a connection and a
    thread, and the rest queue here for free.
    """
    engine = request_engine(request)
    with _slots_lock:
        slots = _slots.get(engine)
        if slots is None:
            slots = _slots[engine] = anyio.Semaphore(_pool_capacity(engine))
    async with slots:
        yield


def get_session(
    request: Request, _slot: Annotated[None, Depends(database_slot, scope="function")]
) -> Iterator[Session]:
    """One session per request: commit when the endpoint returns, roll back on any error."""
    yield from _session(request, write=request.method not in SAFE_METHODS)


def get_writing_session(
    request: Request, _slot: Annotated[None, Depends(database_slot, scope="function")]
) -> Iterator[Session]:
    """The same, for a read that writes too (an audited read of personal data): on SQLite it
    takes the write lock up front rather than failing to upgrade a read lock later."""
    yield from _session(request, write=True)


def _session(request: Request, *, write: bool) -> Iterator[Session]:
    engine = request_engine(request)
    bind = writer(engine) if write else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


def insert_new(session: Session) -> None:
    """Write every object added to ``session`` since it last flushed, with one executemany
    ``INSERT`` per table, parents before children, and take them out of the session.

    For a request that only adds rows (a new referral: a dozen rows in six tables) this is the
    unit of work's flush without its bookkeeping, which costs more than the statements. Rows
    go in as the flush would write them: in the order they were added, a server-made primary
    key left to the database. The objects are detached afterwards: their rows are in the
    transaction, and nothing reads them back (ids made by the database stay unknown to them).
    """
    states = sorted((inspect(obj) for obj in session.new), key=lambda s: s.insert_order)
    if not states:
        return
    rows: dict[Table, list[dict[str, Any]]] = {}
    for state in states:
        table = state.mapper.local_table
        assert isinstance(table, Table)
        values = state.dict
        row = {}
        for key, made_by_database in _columns(table):
            value = values.get(key)
            if value is None and made_by_database:
                continue
            row[key] = value
        rows.setdefault(table, []).append(row)
    connection = session.connection()
    many_values = connection.dialect.name == "postgresql"
    for table in sorted(rows, key=_rank):
        batch = rows[table]
        if many_values and len(batch) > 1:
            # One multi-row INSERT (SQLAlchemy's "insertmanyvalues", used for RETURNING): on
            # psycopg it costs less than an executemany, which pipelines a statement per row.
            connection.execute(insert(table).returning(*table.primary_key.columns), batch).all()
        else:
            connection.execute(insert(table), batch)
    for state in states:
        session.expunge(state.obj())


@functools.cache
def _columns(table: Table) -> tuple[tuple[str, bool], ...]:
    """``(key, primary key)`` of each column: a primary key left out is made by the database."""
    return tuple((column.key, column.primary_key) for column in table.columns)


def _rank(table: Table) -> int:
    """Where ``table`` comes in its metadata's dependency order (parents first)."""
    rank = _ranks(table.metadata).get(table)
    if rank is None:  # a table defined after the order was first worked out
        _ranks.cache_clear()
        rank = _ranks(table.metadata)[table]
    return rank


@functools.cache
def _ranks(metadata: MetaData) -> dict[Table, int]:
    return {t: i for i, t in enumerate(metadata.sorted_tables)}


@contextmanager
def before_writing(session: Session) -> Iterator[Session]:
    """A session for a read that needs no snapshot shared with ``session``'s writes (the API-key
    lookup): on SQLite, while ``session`` may write but has not begun, a short read transaction
    of its own. ``session``'s first statement takes SQLite's write lock (``BEGIN IMMEDIATE``), so
    a read made through it would hold the lock, and every other writer, through the work before
    the first write. Elsewhere ``session`` itself. Either way one connection at a time: the read
    ends before ``session`` takes its own."""
    bind = session.get_bind()
    if (
        not isinstance(bind, Engine)
        or bind.dialect.name != "sqlite"
        or session.in_transaction()
        or not bind.get_execution_options().get(WRITE_OPTION, False)
    ):
        yield session
        return
    with Session(bind.execution_options(**{WRITE_OPTION: False})) as reading:
        yield reading


# scope="function": the commit runs when the endpoint returns, before the response is sent, so
# a failed commit is reported to the client rather than lost after a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
AuditedReadSessionDep = Annotated[Session, Depends(get_writing_session, scope="function")]
