"""The request's session dependency gives its connection back on every way out of a request.

An error raised after the session was used (a 401 after the key lookup, a 422 from the body, a
404 or a 409 from the endpoint) must roll the transaction back and return the connection at
once: left to the garbage collector, a connection stays "idle in transaction" on PostgreSQL
and blocks other transactions (it once held up a TRUNCATE for minutes).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import anyio
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, text

from services.common.db import _pool_capacity, create_db_engine, get_session, get_writing_session
from services.directory.app import create_app as create_directory_app
from services.directory.settings import DirectorySettings


def _request(engine: Engine, method: str) -> Request:
    return cast(Request, SimpleNamespace(method=method, state=SimpleNamespace(engine=engine)))


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'session.db'}")
    yield engine
    engine.dispose()


@pytest.mark.parametrize("dependency", [get_session, get_writing_session])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_error_after_the_session_was_used_returns_its_connection(
    engine: Engine, dependency: Any, method: str
) -> None:
    async def run() -> None:
        steps = dependency(_request(engine, method), None)
        session = await steps.__anext__()
        session.execute(text("SELECT 1"))  # a connection is checked out, in a transaction
        assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        with pytest.raises(LookupError):
            await steps.athrow(LookupError("the endpoint failed"))
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert not session.in_transaction()

    anyio.run(run)


def test_a_request_that_succeeds_commits_and_returns_its_connection(engine: Engine) -> None:
    async def run() -> None:
        steps = get_session(_request(engine, "POST"), None)
        session = await steps.__anext__()
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(StopAsyncIteration):
            await steps.__anext__()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        with engine.connect() as connection:
            assert connection.execute(text("SELECT x FROM t")).scalar_one() == 1

    anyio.run(run)


def test_a_session_the_endpoint_committed_is_closed_without_a_worker_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``POST /referrals`` commits in its own thread; the dependency then has nothing to
    commit, holds no connection, and closes the session in the event loop. A session still
    in a transaction goes to a worker thread as before."""
    hand_offs: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        hand_offs.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)

    async def run() -> None:
        steps = get_session(_request(engine, "POST"), None)
        session = await steps.__anext__()
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.commit()
        with pytest.raises(StopAsyncIteration):
            await steps.__anext__()
        assert hand_offs == []
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]

        steps = get_session(_request(engine, "POST"), None)
        session = await steps.__anext__()
        session.execute(text("INSERT INTO t VALUES (2)"))
        with pytest.raises(StopAsyncIteration):
            await steps.__anext__()
        assert len(hand_offs) == 1
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 2

    anyio.run(run)


@pytest.mark.parametrize("connections", [1, 4, 9])
def test_a_postgresql_pool_keeps_every_connection_open_and_opens_none_beyond_it(
    postgres_url: str, connections: int
) -> None:
    """As many requests as the process has database slots each get a connection; once they
    are done, every one stays open for the next requests rather than being closed and made
    again; and there is never one more (it would go to a request without a slot)."""
    engine = create_db_engine(postgres_url, connections=connections)
    try:
        assert _pool_capacity(engine) == connections
        held = [engine.connect() for _ in range(connections)]
        for connection in held:
            connection.execute(text("SELECT 1"))
        assert engine.pool.overflow() <= 0  # type: ignore[attr-defined]
        for connection in held:
            connection.close()
        assert engine.pool.checkedin() == connections  # type: ignore[attr-defined]
    finally:
        engine.dispose()


@pytest.mark.parametrize("connections", [1, 4, 9])
def test_a_sqlite_engine_has_as_many_slots_as_it_is_given(tmp_path: Path, connections: int) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'slots.db'}", connections=connections)
    try:
        assert _pool_capacity(engine) == connections
    finally:
        engine.dispose()


@pytest.mark.parametrize("connections", [0, 31])
def test_a_pool_size_out_of_range_is_refused(tmp_path: Path, connections: int) -> None:
    with pytest.raises(ValueError, match="from 1 to 30"):
        create_db_engine(f"sqlite:///{tmp_path / 'x.db'}", connections=connections)


def test_the_setting_sizes_the_pool_of_the_app_it_is_given_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHWAYS_DATABASE_CONNECTIONS", "3")
    settings = DirectorySettings(directory_database_url=f"sqlite:///{tmp_path / 'd.db'}")
    assert settings.database_connections == 3
    with TestClient(create_directory_app(settings)) as client:
        assert _pool_capacity(client.app_state["engine"]) == 3


@pytest.mark.parametrize("value", ["0", "31", "four"])
def test_a_setting_out_of_range_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PATHWAYS_DATABASE_CONNECTIONS", value)
    with pytest.raises(ValidationError, match="database_connections"):
        DirectorySettings(directory_database_url=f"sqlite:///{tmp_path / 'd.db'}")
