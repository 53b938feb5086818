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
from sqlalchemy import Engine, text

from services.common.db import _pool_capacity, create_db_engine, get_session, get_writing_session


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


def test_a_postgresql_pool_keeps_ten_connections_open_and_lets_fifteen_work(
    postgres_url: str,
) -> None:
    """Fifteen requests at once (the process's database slots) each get a connection; once
    they are done, ten stay open for the next ones rather than being closed and made again."""
    engine = create_db_engine(postgres_url)
    try:
        assert _pool_capacity(engine) == 15
        held = [engine.connect() for _ in range(15)]
        for connection in held:
            connection.execute(text("SELECT 1"))
        for connection in held:
            connection.close()
        assert engine.pool.checkedin() == 10  # type: ignore[attr-defined]
    finally:
        engine.dispose()
