"""``LoopReader``: the API-key lookup on the event loop (SQLite), which never waits.

Every request's key is looked up afresh. On SQLite the lookup runs on the event loop on a
connection of its own, with no hand-off to a worker thread; it must never wait (busy timeout
0), must fall back to a worker thread when the database is locked, and must replace a
connection that failed. Elsewhere it never reads.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from services.common.db import UNREAD, LoopReader, Unread, create_db_engine, driver_execute


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "loop.db"
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.execute("INSERT INTO t VALUES (7)")
    return path


@pytest.fixture
def engine(database: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{database}")
    yield engine
    engine.dispose()


@pytest.fixture
def reader(engine: Engine) -> Iterator[LoopReader]:
    reader = LoopReader(engine)
    yield reader
    reader.close()


def _x(connection: Connection) -> tuple[int, int]:
    """The row, and the thread that read it."""
    row = driver_execute(connection, "SELECT x FROM t", (), begin=False).fetchone()
    return row[0], threading.get_ident()


def _row(reader: LoopReader) -> int | None:
    got = reader.read(_x)
    return None if isinstance(got, Unread) else got[0]


def test_it_reads_only_once_opened_and_then_in_the_calling_thread(reader: LoopReader) -> None:
    assert reader.enabled
    assert reader.read(_x) is UNREAD
    reader.open()
    assert reader.read(_x) == (7, threading.get_ident())


def test_it_never_waits_for_a_lock(reader: LoopReader) -> None:
    reader.open()

    def busy_timeout(connection: Connection) -> int:
        value = driver_execute(connection, "PRAGMA busy_timeout", (), begin=False).fetchone()[0]
        return int(value)

    assert reader.read(busy_timeout) == 0


def test_a_writer_holding_the_write_lock_does_not_hold_it_up(
    reader: LoopReader, database: Path
) -> None:
    """Every referral holds SQLite's write lock while its rows go in: in WAL mode a reader
    reads the last committed state meanwhile, without waiting."""
    reader.open()
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO t VALUES (8)")
        assert _row(reader) == 7
        writer.execute("COMMIT")
    finally:
        writer.close()


@pytest.mark.parametrize("code", [sqlite3.SQLITE_BUSY, 261, sqlite3.SQLITE_LOCKED])
def test_a_locked_database_is_read_elsewhere_and_the_connection_kept(
    reader: LoopReader, code: int
) -> None:
    """A read that finds the database locked (SQLITE_BUSY, e.g. 261 while another connection
    recovers the file, or SQLITE_LOCKED) fails at once (busy timeout 0, above): the caller
    reads in a worker thread, and the connection stays for the next read. The error is made
    here, as the driver raises it: in WAL mode no other connection can lock a reader out
    while this one has the file open."""
    reader.open()

    def locked(connection: Connection) -> None:
        error = sqlite3.OperationalError("database is locked")
        error.sqlite_errorcode = code
        raise DBAPIError.instance("SELECT x FROM t", (), error, sqlite3.Error)

    assert reader.read(locked) is UNREAD
    assert _row(reader) == 7  # the same connection, without another open()


def test_a_connection_that_failed_otherwise_is_replaced_by_the_next_open(
    reader: LoopReader,
) -> None:
    reader.open()

    def broken(connection: Connection) -> None:
        driver_execute(connection, "SELECT x FROM no_such_table", (), begin=False)

    assert reader.read(broken) is UNREAD
    assert reader.read(_x) is UNREAD  # set aside: not used again
    reader.open()
    assert _row(reader) == 7


def test_a_second_caller_meanwhile_is_not_kept_waiting(reader: LoopReader) -> None:
    reader.open()
    inner: list[object] = []

    def reentrant(connection: Connection) -> int:
        inner.append(reader.read(_x))
        return 1

    assert reader.read(reentrant) == 1
    assert inner == [UNREAD]


def test_a_database_it_cannot_open_leaves_it_closed_without_an_error(tmp_path: Path) -> None:
    """The request that tried to open it goes on to its own read, which reports the problem."""
    (tmp_path / "a-folder.db").mkdir()
    engine = create_db_engine(f"sqlite:///{tmp_path / 'a-folder.db'}")
    reader = LoopReader(engine)
    try:
        reader.open()
        assert reader.read(_x) is UNREAD
    finally:
        reader.close()
        engine.dispose()


def test_once_closed_it_neither_reads_nor_opens_again(reader: LoopReader) -> None:
    reader.open()
    reader.close()
    assert reader.read(_x) is UNREAD
    reader.open()
    assert reader.read(_x) is UNREAD


def test_on_postgresql_it_never_reads() -> None:
    # No connection is made: the engine only names the database.
    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:9/nowhere")
    try:
        reader = LoopReader(engine)
        assert not reader.enabled
        reader.open()
        assert reader.read(_x) is UNREAD
        reader.close()
    finally:
        engine.dispose()
