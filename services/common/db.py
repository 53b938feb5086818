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

import contextlib
import datetime as dt
import enum
import functools
import json
import logging
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    QueuePool,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

log = logging.getLogger("pathways.db")

T = TypeVar("T")

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
DATABASE_CONNECTIONS = 4
"""How many requests of one process work on the database at once, unless
``PATHWAYS_DATABASE_CONNECTIONS`` says otherwise: the size of the engine's pool (every
connection kept open once made, none opened beyond it) and the number of the process's
database slots (``database_slot``; the rest of the requests wait there, in the event loop).

One process runs Python on one core at a time, and a request spends most of its time there,
not waiting on the database: a few requests at once keep that core busy. More only take turns
on it, each finishing later, and pay for the turns. At 32 clients on loopback PostgreSQL, 4
served about 10 % more referrals per second than the 15 this was before (bench/README.md). A
database further away, where a request waits longer for each answer, may want more."""
DATABASE_CONNECTIONS_MAX = 30
"""Well under the 40 worker threads that sync endpoints run on (anyio's default): a request
with a slot always finds a thread."""


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

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the text SQLAlchemy's DATETIME stores (``YYYY-MM-DD HH:MM:SS.ffffff``,
        UTC) in one step: the processor it composes from ``process_bind_param`` and DATETIME's
        own, which fills a dict and a %-format for every value, took 1.9 µs a value (this one
        0.85) and 4 % of the router's samples under load on SQLite: a new referral writes a few
        dozen datetimes. ``tests/common/test_utc_datetime.py`` holds the two to the same text."""
        composed = super().bind_processor(dialect)
        if dialect.name != "sqlite" or composed is None:
            return composed
        # Only while the column stores DATETIME's default text, which ``process`` writes.
        storage = getattr(self.impl_instance.dialect_impl(dialect), "_storage_format", None)
        if storage != sqlite.DATETIME._storage_format:
            return composed
        utc = dt.UTC
        datetime = dt.datetime

        def process(value: Any) -> Any:
            if value is None:  # NULL, as the long way gives it: most of a new row's times
                return None
            if type(value) is not datetime or value.tzinfo is not utc:
                # Another zone, a subclass, a naive datetime (refused): the long way.
                return composed(value)
            # An aware datetime's ISO form ends in its offset; the 26 characters before it
            # are the stored text (a year always has four digits).
            return value.isoformat(" ", "microseconds")[:26]

        return process

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


def create_db_engine(url: str, *, connections: int = DATABASE_CONNECTIONS) -> Engine:
    """An engine for ``url``: a SQLite file (created with its folder) or PostgreSQL, with a
    pool of ``connections`` (see ``DATABASE_CONNECTIONS``)."""
    if not 1 <= connections <= DATABASE_CONNECTIONS_MAX:
        raise ValueError(f"connections must be from 1 to {DATABASE_CONNECTIONS_MAX}")
    u = make_url(normalise_url(url))
    backend = u.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(
            u.render_as_string(hide_password=False), u.database, connections=connections
        )
    if backend == "postgresql":
        if u.get_driver_name() != "psycopg":
            raise ValueError(f"use postgresql+psycopg:// (psycopg 3), not {u.drivername}://")
        # A connect_timeout in the URL wins (connect_args would silently override it).
        connect_timeout = int(str(u.query.get("connect_timeout", POSTGRES_CONNECT_TIMEOUT_S)))
        return create_engine(
            u.difference_update_query(["connect_timeout"]),
            pool_pre_ping=True,
            pool_size=connections,
            max_overflow=0,
            connect_args={"connect_timeout": connect_timeout},
        )
    raise ValueError(
        f"unsupported database URL scheme {u.drivername!r}: "
        "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
    )


def _sqlite_engine(url: str, database: str | None, *, connections: int) -> Engine:
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError("SQLite needs a file path (the services share it across threads)")
    try:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # /readyz reports the database as unreachable
        log.warning("cannot create the folder of %s: %s", database, exc)
    engine = create_engine(
        url,
        pool_size=connections,
        max_overflow=0,
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "factory": _QueuedWriterConnection,
        },
    )
    write_lock = _write_lock(database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver (see the module docstring), then set the pragmas.
        dbapi_connection.isolation_level = None
        dbapi_connection.write_lock = write_lock
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
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        queued = dbapi_connection if isinstance(dbapi_connection, _QueuedWriterConnection) else None
        if queued is not None:
            queued.queue_for_write()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued is not None:
                queued.done_writing()
            raise

    return engine


_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(database: str) -> threading.Lock:
    """One lock per SQLite file in this process, whichever engine opened it."""
    key = str(Path(database).resolve())
    with _write_locks_guard:
        return _write_locks.setdefault(key, threading.Lock())


class _QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions queue on an in-process lock.

    SQLite has one writer at a time. A ``BEGIN IMMEDIATE`` that finds the database locked
    sleeps in SQLite's busy handler, polling with sleeps of up to 100 ms, so under load a
    writer often sleeps on long after the lock came free: that was most of the tail latency.
    Writers of the same process instead wait on this lock (taken before ``BEGIN IMMEDIATE``,
    let go once the transaction has committed or rolled back), and the next one goes ahead the
    moment the last one is done. Other processes (the worker, a second server) still meet at
    SQLite's own lock and busy timeout, which stays the fallback: a writer that waited the whole
    busy timeout here goes on to ``BEGIN IMMEDIATE`` without the lock and lets SQLite decide.
    """

    write_lock: threading.Lock | None = None
    _holding = False

    def queue_for_write(self) -> None:
        lock = self.write_lock
        if lock is not None and not self._holding:
            self._holding = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def done_writing(self) -> None:
        if self._holding:
            self._holding = False
            assert self.write_lock is not None
            self.write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.done_writing()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.done_writing()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.done_writing()


def writer(engine: Engine) -> Engine:
    """The same engine, marked as one whose transactions may write (made once per engine)."""
    return _with_write_option(engine, write=True)


def reader(engine: Engine) -> Engine:
    """The same engine, marked as one whose transactions only read (made once per engine)."""
    return _with_write_option(engine, write=False)


def _with_write_option(engine: Engine, *, write: bool) -> Engine:
    # Kept on the engine itself (``execution_options`` makes a new engine object each call,
    # and these are asked for on every request); a cycle the garbage collector can free.
    if engine.get_execution_options().get(WRITE_OPTION, False) == write:
        return engine
    name = "_pathways_writer" if write else "_pathways_reader"
    made = engine.__dict__.get(name)
    if not isinstance(made, Engine):
        made = engine.execution_options(**{WRITE_OPTION: write})
        setattr(engine, name, made)
    return made


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


_slots: weakref.WeakKeyDictionary[Engine, anyio.Semaphore] = weakref.WeakKeyDictionary()
_slots_lock = threading.Lock()


def _pool_capacity(engine: Engine) -> int:
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return DATABASE_CONNECTIONS
    overflow = max(0, int(getattr(pool, "_max_overflow", 0)))
    return max(1, min(DATABASE_CONNECTIONS_MAX, pool.size() + overflow))


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


async def get_session(
    request: Request, _slot: Annotated[None, Depends(database_slot, scope="function")]
) -> AsyncIterator[Session]:
    """One session per request: commit when the endpoint returns, roll back on any error."""
    async with _session(request, write=request.method not in SAFE_METHODS) as session:
        yield session


async def get_writing_session(
    request: Request, _slot: Annotated[None, Depends(database_slot, scope="function")]
) -> AsyncIterator[Session]:
    """The same, for a read that writes too (an audited read of personal data): on SQLite it
    takes the write lock up front rather than failing to upgrade a read lock later."""
    async with _session(request, write=True) as session:
        yield session


@asynccontextmanager
async def _session(request: Request, *, write: bool) -> AsyncIterator[Session]:
    """The session is made in the event loop (that does no I/O: it connects on first use, in
    the endpoint's thread) and finished in one worker thread, so a request pays one thread
    hand-off for it rather than two. The finish is shielded: a client that goes away does not
    leave a transaction open.

    A context manager, not a generator iterated with ``async for``: an error thrown into the
    dependency must reach the ``except`` below (``async for`` would leave this generator
    suspended, its connection open in a transaction until the garbage collector found it)."""
    engine = request_engine(request)
    bind = writer(engine) if write else engine
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _finish(session, commit=False)
        raise
    await _finish(session, commit=True)


async def _finish(session: Session, *, commit: bool) -> None:
    """Commit or roll back in a worker thread, shielded. A session with no transaction open
    (nothing used it, or the endpoint committed its own work in its thread, as
    ``POST /referrals`` does) holds no connection: closing it does no I/O, so it is closed here
    without a thread hand-off."""
    if not session.in_transaction():
        session.close()
        return
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(_close, session, commit)


def _close(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def insert_new(session: Session) -> None:
    """Write every object added to ``session`` since it last flushed, with one ``INSERT`` per
    table (``insert_rows``), parents before children, and take them out of the session.

    For a request that only adds rows this is the unit of work's flush without its
    bookkeeping, which costs more than the statements. Rows go in as the flush would write
    them: in the order they were added, a server-made primary key left to the database. The
    objects are detached afterwards: their rows are in the transaction, and nothing reads them
    back (ids made by the database stay unknown to them).
    """
    states = sorted((inspect(obj) for obj in session.new), key=lambda s: s.insert_order)
    if not states:
        return
    rows: dict[Table, list[dict[str, Any]]] = {}
    for state in states:
        table = state.mapper.local_table
        assert isinstance(table, Table)
        values = state.dict
        rows.setdefault(table, []).append({key: values.get(key) for key in _insertable(table)})
    insert_rows(session, rows)
    for state in states:
        session.expunge(state.obj())


Rows = Mapping[Table, Sequence[Mapping[str, Any]]]
"""Plain rows to insert, by table (``insert_rows``)."""


def insert_rows(
    session: Session, rows: Rows, *, also: tuple[str, tuple[Any, ...]] | None = None
) -> None:
    """Insert plain rows (column key → Python value) in ``session``'s transaction, parents
    before children, stored exactly as the ORM (or a Core ``insert``) would store them.

    This is the ORM's insert without building an object, a state and a compiled statement per
    row, which cost more than the statement itself. A column a row leaves out gets its column's
    scalar default, or NULL; an integer primary key left out is made by the database. Errors
    are SQLAlchemy's (the statements run through ``Connection.exec_driver_sql``).

    - SQLite: one multi-row ``INSERT … VALUES (…), (…)`` per table, rendered once per table,
      row count and dialect, each value through its column type's own bind processor.
    - PostgreSQL: every table in one statement, one round trip: each table's rows travel as one
      JSON array (``json_populate_record`` turns each element into a row of the table's type),
      and each table's ``INSERT`` is a data-modifying CTE of the one statement. Foreign keys are
      checked at the end of the statement, when every row is in.

    ``also`` is one more statement to run with the rows (driver SQL in the driver's paramstyle,
    and its parameters), on a table they do not write: on PostgreSQL a data-modifying CTE of the
    same statement, so that it costs no round trip of its own; elsewhere it runs after them.
    """
    tables = sorted((t for t in rows if rows[t]), key=_rank)
    if not tables and also is None:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql" and tables:
        shape = tuple((t, _row_columns(t, rows[t][0])) for t in tables)
        documents = tuple(_json_rows(t, columns, rows[t]) for t, columns in shape)
        extra, values = also if also is not None else (None, ())
        sql = _postgres_insert_sql(shape, dialect, extra)
        connection.exec_driver_sql(sql, (*values, *documents))
        return
    for table in tables:
        batch = rows[table]
        for first in range(0, len(batch), _ROWS_PER_STATEMENT):
            chunk = batch[first : first + _ROWS_PER_STATEMENT]
            columns = _row_columns(table, chunk[0])
            sql = _insert_sql(table, columns, len(chunk), dialect)
            parameters: list[Any] = []
            for row in chunk:
                for key, process, default in _binders(table, columns, dialect):
                    value = row.get(key, default)
                    parameters.append(value if process is None else process(value))
            driver_execute(connection, sql, tuple(parameters))
    if also is not None:
        driver_execute(connection, *also)


def driver_execute(
    connection: Connection, sql: str, parameters: tuple[Any, ...], *, begin: bool = True
) -> Any:
    """Run ``sql`` on ``connection``'s driver cursor and return the cursor: on SQLite (an
    in-process call) SQLAlchemy's execution context around it costs more than the statement.
    Elsewhere ``exec_driver_sql``, whose disconnect handling a network database needs. A
    driver error comes out as SQLAlchemy's (``OperationalError``…), as from any statement.

    ``begin=False``, for a single read on SQLite outside any transaction: the statement runs
    in SQLite's autocommit mode (one statement sees one snapshot), without a BEGIN."""
    if connection.dialect.name != "sqlite":
        return connection.exec_driver_sql(sql, parameters)
    if begin and not connection.in_transaction():
        connection.begin()  # as exec_driver_sql would (autobegin: BEGIN [IMMEDIATE])
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
    except Exception as exc:
        dbapi = connection.dialect.loaded_dbapi
        if isinstance(exc, dbapi.Error):
            raise DBAPIError.instance(
                sql, parameters, exc, dbapi.Error, dialect=connection.dialect
            ) from exc
        raise
    return cursor


def _json_rows(table: Table, columns: tuple[str, ...], batch: Sequence[Mapping[str, Any]]) -> str:
    defaults = _defaults(table)
    names = _names(table)
    # json.dumps's own separators: json_populate_record keeps each JSON column's text as it
    # stands in the document, so it is stored as the JSON type's json.dumps would write it.
    return json.dumps(
        [{names[k]: row.get(k, defaults[k]) for k in columns} for row in batch],
        default=_json_value,
    )


def _json_value(value: object) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # as UtcDateTime refuses it
            raise ValueError("refusing to store a naive datetime: give it a timezone")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@functools.cache
def _defaults(table: Table) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        default = column.default
        scalar = getattr(default, "is_scalar", False)
        out[column.key] = getattr(default, "arg", None) if scalar else None
    return out


@functools.cache
def _names(table: Table) -> dict[str, str]:
    return {c.key: c.name for c in table.columns}


@functools.cache
def _postgres_insert_sql(
    shape: tuple[tuple[Table, tuple[str, ...]], ...], dialect: Dialect, extra: str | None
) -> str:
    """The one statement of ``insert_rows`` on PostgreSQL, rendered once per shape. ``extra``
    (``also``) is its first CTE, so that its parameters come before the rows' documents."""
    quote = dialect.identifier_preparer
    statements = []
    for table, columns in shape:
        name = quote.format_table(table)
        targets = ", ".join(quote.format_column(table.c[k]) for k in columns)
        # A JSON column gets JSON null for None, as the ORM stores it (none_as_null is off);
        # json_populate_record would make that SQL NULL.
        values = ", ".join(
            f"COALESCE(r.{quote.format_column(table.c[k])}, 'null'::json)"
            if isinstance(table.c[k].type, JSON)
            else f"r.{quote.format_column(table.c[k])}"
            for k in columns
        )
        statements.append(
            f"INSERT INTO {name} ({targets}) SELECT {values} "
            "FROM json_array_elements(CAST(%s AS json)) WITH ORDINALITY AS e(value, n), "
            f"LATERAL json_populate_record(NULL::{name}, e.value) AS r ORDER BY e.n"
        )
    *first, last = statements
    ctes = [f"a AS ({extra})"] if extra is not None else []
    ctes += [f"i{i} AS ({sql})" for i, sql in enumerate(first)]
    return f"WITH {', '.join(ctes)} {last}" if ctes else last


_ROWS_PER_STATEMENT = 200
"""Well under SQLite's 32,766 bound parameters for the widest table."""


@functools.cache
def _insertable(table: Table) -> tuple[str, ...]:
    return tuple(c.key for c in table.columns)


def _row_columns(table: Table, row: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns to write: every column, less an auto-made integer primary key the row does
    not give (or gives as None)."""
    auto = _auto_key(table)
    if auto is not None and row.get(auto) is None:
        return _insertable_less(table, auto)
    return _insertable(table)


@functools.cache
def _auto_key(table: Table) -> str | None:
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and keys[0].autoincrement in ("auto", True):
        python_type = None
        with contextlib.suppress(NotImplementedError):
            python_type = keys[0].type.python_type
        if python_type is int:
            return keys[0].key
    return None


@functools.cache
def _insertable_less(table: Table, left_out: str) -> tuple[str, ...]:
    return tuple(k for k in _insertable(table) if k != left_out)


@functools.cache
def _binders(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]:
    """Per column: its key, its type's bind processor on ``dialect``, and its scalar default."""
    defaults = _defaults(table)
    return tuple(
        (key, table.c[key].type._cached_bind_processor(dialect), defaults[key]) for key in columns
    )


@functools.cache
def _insert_sql(table: Table, columns: tuple[str, ...], count: int, dialect: Dialect) -> str:
    quote = dialect.identifier_preparer
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([marker] * len(columns)) + ")"
    names = ", ".join(quote.format_column(table.c[k]) for k in columns)
    return f"INSERT INTO {quote.format_table(table)} ({names}) VALUES " + ", ".join([one] * count)


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


@contextmanager
def reading_connection(session: Session) -> Iterator[Connection]:
    """``before_writing`` for a single read, as a connection rather than a session: on SQLite,
    while ``session`` may write but has not begun, a short read transaction on a connection of
    its own (so the read does not take the write lock for the whole request); elsewhere
    ``session``'s own connection, in its transaction."""
    bind = session.get_bind()
    if (
        isinstance(bind, Engine)
        and bind.dialect.name == "sqlite"
        and not session.in_transaction()
        and bind.get_execution_options().get(WRITE_OPTION, False)
    ):
        with reader(bind).connect() as connection:
            yield connection
        return
    yield session.connection()


class Unread(enum.Enum):
    """What ``LoopReader.read`` gives when it did not read: read in a worker thread instead."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD


class LoopReader:
    """A SQLite connection of its own for single, short reads made on the event loop itself:
    the API-key lookup that every request makes before its endpoint runs.

    Made in a worker thread, such a read costs two hand-offs between the event loop and the
    thread pool, which on SQLite (a read of one indexed row of a local file, tens of
    microseconds) cost several times the read: a tenth of the router's CPU for a referral
    (bench/README.md). Here it runs on the loop, and the rules keep the loop from ever waiting:

    - SQLite only. Elsewhere a read is a round trip over the network, which must not stall the
      loop: ``read`` always answers ``UNREAD``.
    - Opened in a worker thread (``open``: opening a file and setting its pragmas may wait),
      by the first request that found it closed; until then ``UNREAD``.
    - Its busy timeout is 0: a read that finds the database locked (in WAL mode only while
      SQLite recovers a file or another connection holds it in exclusive mode) fails at once,
      and the caller reads in a worker thread instead, as it did before.
    - Each statement is its own transaction (autocommit, no ``BEGIN``): between requests it
      holds nothing that could keep a writer or a checkpoint waiting.
    - One caller at a time (a lock tried without waiting): a sync call on the event loop runs to
      its end before another request's code runs, so one connection serves every request; a
      second event loop of the same app (tests) finding it in use reads in a thread.

    A connection that failed for any reason but a lock is set aside, and closed and replaced by
    the next ``open`` (in a thread: closing the last connection of a WAL file checkpoints it).
    """

    def __init__(self, engine: Engine) -> None:
        self._url = engine.url if engine.dialect.name == "sqlite" else None
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._broken: list[Connection] = []
        self._closed = False

    @property
    def enabled(self) -> bool:
        """Whether reads are ever made here (SQLite)."""
        return self._url is not None

    def open(self) -> None:
        """Open the connection if it is not open (call it in a worker thread)."""
        if self._url is None or self._connection is not None:
            return
        with self._lock:
            self._close_broken()
            if self._closed or self._connection is not None:
                return
            if self._engine is None:
                self._engine = create_db_engine(
                    self._url.render_as_string(hide_password=False), connections=1
                )
            try:
                connection = self._engine.connect()
            except DBAPIError as exc:  # the caller's own read reports what is wrong
                log.info("the event loop's read connection could not be opened: %s", exc)
                return
            try:
                # The connect event set SQLite's busy timeout for waiting writers; this one
                # waits for nothing. Outside a transaction, as every read here.
                driver_execute(connection, "PRAGMA busy_timeout = 0", (), begin=False)
            except DBAPIError as exc:
                log.info("the event loop's read connection could not be set up: %s", exc)
                self._broken.append(connection)
                self._close_broken()
                return
            self._connection = connection

    def read(self, read: Callable[[Connection], T]) -> T | Unread:
        """``read(connection)`` here and now (statements through ``driver_execute`` with
        ``begin=False``), or ``UNREAD`` when it cannot be made without waiting."""
        connection = self._connection
        if connection is None or not self._lock.acquire(blocking=False):
            return UNREAD
        try:
            if connection is not self._connection:  # closed or set aside meanwhile
                return UNREAD
            try:
                return read(connection)
            except DBAPIError as exc:
                if not _locked(exc):
                    log.warning("the event loop's read connection failed (%s); replacing it", exc)
                    self._connection = None
                    self._broken.append(connection)
                return UNREAD
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close it for good (the app's lifespan, at shutdown)."""
        with self._lock:
            self._closed = True
            self._close_broken()
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def _close_broken(self) -> None:
        while self._broken:
            connection = self._broken.pop()
            try:
                connection.invalidate()  # out of the pool: the next open connects afresh
                connection.close()
            except DBAPIError as exc:  # already unusable: nothing more to give back
                log.warning("closing the event loop's read connection failed: %s", exc)


def _locked(exc: DBAPIError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, extended codes included ("database is locked")."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


# scope="function": the commit runs when the endpoint returns, before the response is sent, so
# a failed commit is reported to the client rather than lost after a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
AuditedReadSessionDep = Annotated[Session, Depends(get_writing_session, scope="function")]
