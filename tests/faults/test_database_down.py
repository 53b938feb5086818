"""The database out of reach (PostgreSQL, through a TCP proxy the test cuts and restores).

The router process reaches PostgreSQL only through ``TcpProxy`` on 127.0.0.1. Two faults:

- **cut**: every connection through the proxy is closed and the port refuses new ones (the
  server went down, or restarted);
- **stall**: connections are accepted and never answered (a server that hangs), and the open
  ones are dropped.

Either way ``/readyz`` answers 503 and every request that needs the database gets a 503 problem
document, each within a bound (the URL's ``connect_timeout`` is 2 s); liveness stays 200; and
when the proxy forwards again the same process recovers by itself.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from services.common.db import create_db_engine
from tests.conftest import SchemaFactory

from . import figures
from .soak import long_variant
from .stack import (
    Router,
    ServiceProcess,
    prepare_router,
    referral,
    service_env,
    wait_until,
)

pytestmark = pytest.mark.postgres

CONNECT_TIMEOUT_S = 2
ANSWER_WITHIN_S = {"cut": 3.0, "stall": CONNECT_TIMEOUT_S * 2 + 2.0}
"""How long any answer may take while the database is out of reach."""
RECOVER_WITHIN_S = 20.0
PROBLEM_JSON = "application/problem+json"


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``, a thread per connection; ``cut()``,
    ``stall()`` and ``restore()`` change what happens to connections. Every thread polls with a
    short timeout, so each change takes effect within ~0.1 s."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "up"
        self.port = 0
        self.accepted = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._stop_accepting = threading.Event()
        self._pumps: dict[threading.Thread, tuple[socket.socket, socket.socket]] = {}
        self._stalled: list[socket.socket] = []

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = int(listener.getsockname()[1])
        self._listener = listener
        self._stop_accepting.clear()
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        """Close every connection and the port itself: connections are refused."""
        self.mode = "cut"
        self._stop_listening()
        self._drop_connections()

    def stall(self) -> None:
        """Drop the open connections; accept new ones and never answer them."""
        self.mode = "stall"
        if self._listener is None:
            self.start()
        self._drop_connections()

    def restore(self) -> None:
        self.mode = "up"
        self._drop_stalled()
        if self._listener is None:
            self.start()

    def close(self) -> None:
        self.mode = "cut"
        self._stop_listening()
        self._drop_connections()

    # ------------------------------------------------------------------ inside

    def _stop_listening(self) -> None:
        self._stop_accepting.set()
        if self._acceptor is not None:
            self._acceptor.join(5)
            assert not self._acceptor.is_alive()
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _drop_connections(self) -> None:
        with self._lock:
            pumps = dict(self._pumps)
        for a, b in pumps.values():
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)  # wakes the pump, which closes both
        for thread in pumps:
            thread.join(5)
            assert not thread.is_alive()
        self._drop_stalled()

    def _drop_stalled(self) -> None:
        with self._lock:
            stalled, self._stalled = self._stalled, []
        for s in stalled:
            s.close()

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop_accepting.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.mode == "stall":
                with self._lock:
                    self._stalled.append(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=2)
            except OSError:
                client.close()
                continue
            thread = threading.Thread(target=self._pump, args=(client, server), daemon=True)
            with self._lock:
                self._pumps[thread] = (client, server)
            thread.start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        me = threading.current_thread()
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(client, selectors.EVENT_READ, server)
                selector.register(server, selectors.EVENT_READ, client)
                while self.mode == "up":
                    for key, _ in selector.select(timeout=0.1):
                        source = key.fileobj
                        assert isinstance(source, socket.socket)
                        data = source.recv(65536)
                        if not data:
                            return
                        key.data.sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()
            with self._lock:
                self._pumps.pop(me, None)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    u = make_url(postgres_url)
    proxy = TcpProxy((u.host or "127.0.0.1", u.port or 5432))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def router(proxy: TcpProxy, postgres_schemas: SchemaFactory, tmp_path: Path) -> Iterator[Router]:
    direct = postgres_schemas("faults_db")
    keys = prepare_router(direct)  # migrated and keyed directly, not through the proxy
    through_proxy = (
        make_url(direct)
        .set(host="127.0.0.1", port=proxy.port)
        .update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
        .render_as_string(hide_password=False)
    )
    process = ServiceProcess(
        "router",
        port=_free_port(),
        env=service_env(
            PATHWAYS_ROUTER_DATABASE_URL=through_proxy,
            PATHWAYS_DIRECTORY_URL="http://127.0.0.1:9",
            PATHWAYS_DIRECTORY_RETRIES="0",
            PATHWAYS_WORKER_POLL_SECONDS="0.2",
        ),
        log=tmp_path / "router.log",
    )
    engine = create_db_engine(direct)
    try:
        process.start()
        yield Router(process=process, keys=keys, engine=engine)
    finally:
        process.stop()
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(
    client: httpx.Client, method: str, path: str, **kw: object
) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    response = client.request(method, path, **kw)  # type: ignore[arg-type]
    return response, time.monotonic() - began


def run(router: Router, proxy: TcpProxy, *, faults: list[str]) -> None:
    pid = router.process.pid
    answered = 0
    slowest = 0.0
    recoveries: list[float] = []
    with router.client(timeout=30) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/referrals", headers=router.headers()).status_code == 200
        for n, fault in enumerate(faults):
            getattr(proxy, fault)()
            calls: list[tuple[str, str, dict[str, object]]] = [
                ("GET", "/readyz", {}),
                ("GET", "/referrals", {"headers": router.headers()}),
                ("GET", "/handovers", {"headers": router.headers("idva")}),
                ("POST", "/referrals", {"headers": router.headers(), "json": referral(f"DB-{n}")}),
                ("GET", "/audit", {"headers": router.headers("admin")}),
            ]
            # A cut is answered at once: twice each (the pool must not make the 2nd slower). A
            # stall costs the connect timeout per request: fewer of those.
            tried = calls * 2 if fault == "cut" else calls[:2] + calls[3:4]
            for method, path, kw in tried:
                response, took = timed(client, method, path, **kw)
                answered += 1
                slowest = max(slowest, took)
                assert response.status_code == 503, (fault, method, path, response.text)
                assert response.headers["content-type"] == PROBLEM_JSON
                problem = response.json()
                assert problem["status"] == 503 and problem["detail"]
                expected = "unavailable" if path == "/readyz" else "database_unavailable"
                assert problem["code"] == expected, problem
                if path != "/readyz":
                    assert response.headers["Retry-After"].isdigit()
                assert took < ANSWER_WITHIN_S[fault], f"{fault}: {method} {path} took {took:.1f} s"
            assert client.get("/healthz").status_code == 200  # alive, only not ready
            proxy.restore()
            recoveries.append(
                wait_until(
                    lambda: client.get("/readyz").status_code == 200,
                    timeout=RECOVER_WITHIN_S,
                    interval=0.1,
                    what=f"ready again after the {fault}",
                )
            )
            for method, path, kw in calls[1:]:
                response = client.request(method, path, **kw)  # type: ignore[arg-type]
                if method == "POST":  # the database is back; there is no directory in this test
                    assert response.json()["code"] == "directory_unavailable", response.text
                else:
                    assert response.status_code == 200, response.text
    assert router.process.alive() and router.process.pid == pid  # recovered by itself
    figures.record(
        "faults",
        f"database unreachable ({', '.join(faults)}) on PostgreSQL",
        requests_while_down=answered,
        all_503_problem_documents=True,
        slowest_answer_seconds=round(slowest, 2),
        recovered_within_seconds=round(max(recoveries), 2),
        restarts=0,
    )


def test_the_database_out_of_reach_is_a_fast_503_and_the_router_recovers(
    router: Router, proxy: TcpProxy
) -> None:
    run(router, proxy, faults=["cut", "stall"])


@long_variant
def test_the_database_lost_again_and_again(router: Router, proxy: TcpProxy) -> None:
    run(router, proxy, faults=["cut", "stall", "cut", "cut", "stall", "cut"])
