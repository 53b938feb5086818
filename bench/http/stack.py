"""The services under test, started the way an operator starts them, and cleaned up after.

``Stack`` (a context manager) makes fresh databases for one backend — SQLite files in a
temporary folder, or PostgreSQL schemas of their own (``options=-csearch_path=…``, as
``tests/conftest.py`` isolates test sessions) — migrates them (``pathways db upgrade``), seeds
the shipped directory (``pathways seed``) and makes API keys (``pathways keys create``, read
from standard output), all through ``bench/http/commands.py`` (one process for the lot). It
starts the webhook receiver, the directory, the baseline and the router as processes of their
own on free loopback ports (``pathways serve``), and points every directory service's webhook
at the receiver. On the way out, whatever happened, it stops every process it started (each
leads its own process group: SIGTERM, then SIGKILL) and drops what it created.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PATHWAYS = str(BIN / "pathways")
POSTGRES_URL_VARIABLE = "PATHWAYS_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"pathways-bench-webhook-secret-32b").decode()
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class StackError(RuntimeError):
    """Something the benchmark needs did not work; the message says what, with log tails."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_cpu_seconds() -> float:
    """CPU time of every process named ``postgres`` on the machine (the server is shared)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        if name.startswith("postgres"):
            fields = stat.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, over all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # steal included, guest counted within user
    return (total - idle) / CLK_TCK, total / CLK_TCK


# --------------------------------------------------------------------------- processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 30) -> str:
        try:
            text_ = self.log.read_text("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text_.splitlines()[-lines:])


def stop_process(process: Process, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the process's own group, then SIGKILL it if it is still there."""
    popen = process.popen
    if popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGTERM)
    try:
        popen.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(5)


# --------------------------------------------------------------------------- databases


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_search_path(url: str, schema: str) -> str:
    """``url`` with every connection's search_path set to ``schema`` (as tests/conftest.py)."""
    u = make_url(url).set(drivername="postgresql+psycopg")
    return u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def postgres_url() -> str:
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


def postgres_problem(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None."""
    try:
        with psycopg.connect(_libpq(url), connect_timeout=5) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {make_url(url).render_as_string()} is unreachable: {exc}"
    return None


def postgres_version(url: str) -> str | None:
    try:
        with psycopg.connect(_libpq(url), connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except psycopg.Error:
        return None


class Databases:
    """Fresh databases of one backend, one per label; ``close`` removes them."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self.schemas: list[str] = []
        self.base = postgres_url() if backend == "postgres" else None

    def url(self, label: str) -> str:
        if self.base is None:
            return f"sqlite:///{self.workdir / f'{label}.db'}"
        schema = f"pathways_bench_{label}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(self.base), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        return with_search_path(self.base, schema)

    def close(self) -> None:
        if self.base is None or not self.schemas:
            return
        with psycopg.connect(_libpq(self.base), autocommit=True) as connection:
            for schema in self.schemas:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.schemas.clear()


# --------------------------------------------------------------------------- the stack


@dataclass
class Keys:
    referrer: str = ""
    directory_admin: str = ""
    directory_service: str = ""


@dataclass
class Stack:
    """Directory, router, baseline and webhook receiver for one backend (a context manager)."""

    backend: str
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pathways-bench-")))
    processes: dict[str, Process] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    keys: Keys = field(default_factory=Keys)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.databases = Databases(self.backend, self.workdir)
        self._engines: dict[str, Engine] = {}

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        errors = []
        for name in list(self.processes):
            try:
                self.stop(name)
            except Exception as e:  # keep cleaning up
                errors.append(f"{name}: {e}")
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        try:
            self.databases.close()
        except Exception as e:
            errors.append(f"dropping the PostgreSQL schemas: {e}")
        shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            print("bench: clean-up problems: " + "; ".join(errors), file=sys.stderr)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of every process: the caller's, less any PATHWAYS_ setting (a
        developer's must not change what is measured), plus the stack's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
        env.update(
            PATHWAYS_ENVIRONMENT="development",
            PATHWAYS_DIRECTORY_DATABASE_URL=self.urls["directory_db"],
            PATHWAYS_ROUTER_DATABASE_URL=self.urls["router_db"],
            PATHWAYS_DIRECTORY_URL=f"http://127.0.0.1:{self.ports.get('directory', 9)}",
            # The directory accepts http:// webhook URLs to loopback, the router sends to them.
            PATHWAYS_ALLOW_INSECURE_WEBHOOKS="true",
            PATHWAYS_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",
            PATHWAYS_RUN_WORKER="false",
            PYTHONUNBUFFERED="1",
        )
        if self.keys.directory_service:
            env["PATHWAYS_DIRECTORY_API_KEY"] = self.keys.directory_service
        env.update(extra)
        return env

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Process:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, stopped as one
            )
        process = Process(name=name, popen=popen, log=log)
        self.processes[name] = process
        return process

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is not None:
            stop_process(process)

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def commands(self, argvs: list[list[str]]) -> list[dict[str, Any]]:
        """Run ``pathways`` commands (``bench/http/commands.py``: one process, the same code as
        the ``pathways`` script); their results, or StackError naming the one that failed."""
        done = subprocess.run(
            [sys.executable, "-m", "bench.http.commands", json.dumps(argvs)],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        try:
            results: list[dict[str, Any]] = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise StackError(f"the pathways commands failed: {done.stderr[-3000:]}") from None
        for r in results:
            if r["status"] != 0:
                raise StackError(
                    f"pathways {' '.join(r['argv'])} failed ({r['status']}): {r['stderr']}"
                )
        return results

    def wait_ready(self, name: str, url: str, timeout: float = READY_TIMEOUT_S) -> None:
        process = self.processes[name]
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise StackError(
                    f"{name} exited ({process.popen.returncode}) before it was ready:\n"
                    + process.tail()
                )
            try:
                response = httpx.get(url, timeout=2.0)
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}"
            time.sleep(0.1)
        raise StackError(f"{name} was not ready after {timeout:.0f} s ({last}):\n{process.tail()}")

    # ------------------------------------------------------------------ set-up

    def setup(self) -> None:
        """Databases, migrations, seed, keys; receiver, directory and baseline started and
        ready; every directory service's webhook pointed at the receiver; the router started
        (webhook worker off) and ready."""
        began = time.monotonic()
        self.urls["directory_db"] = self.databases.url("directory")
        self.urls["router_db"] = self.databases.url("router")
        self.urls["baseline_db"] = self.databases.url("baseline")
        keys = {
            "referrer": ("--service", "router", "--role", "referrer", "--name", "bench"),
            "directory_admin": ("--service", "directory", "--role", "admin", "--name", "bench-a"),
            "directory_service": (
                "--service",
                "directory",
                "--role",
                "service",
                "--name",
                "bench-r",
            ),
        }
        done = self.commands(
            [
                ["db", "upgrade", "--service", "directory"],
                ["db", "upgrade", "--service", "router"],
                ["seed"],
                *(["keys", "create", *args] for args in keys.values()),
            ]
        )
        for name, result in zip(keys, done[3:], strict=True):
            key = result["stdout"].strip()
            if not key.startswith("pwk_"):
                raise StackError(f"pathways keys create printed {key!r}, not a key")
            setattr(self.keys, name, key)
        self.timings["migrate_seed_keys_s"] = time.monotonic() - began

        for name in ("receiver", "directory", "baseline", "router"):
            self.ports[name] = free_port()
        self.urls["receiver"] = f"http://127.0.0.1:{self.ports['receiver']}"
        self.urls["directory"] = f"http://127.0.0.1:{self.ports['directory']}"
        self.urls["baseline"] = f"http://127.0.0.1:{self.ports['baseline']}"
        self.urls["router"] = f"http://127.0.0.1:{self.ports['router']}"
        env = self.env()
        self.start(
            "receiver",
            [sys.executable, "-m", "bench.http.receiver", "--port", str(self.ports["receiver"])],
            self.env(PATHWAYS_BENCH_WEBHOOK_SECRET=WEBHOOK_SECRET),
        )
        self.start(
            "directory",
            [PATHWAYS, "serve", "directory", "--port", str(self.ports["directory"])],
            env,
        )
        self.start(
            "baseline",
            [sys.executable, "-m", "bench.baseline", "--port", str(self.ports["baseline"])],
            self.env(PATHWAYS_BENCH_BASELINE_DATABASE_URL=self.urls["baseline_db"]),
        )
        self.wait_ready("receiver", self.urls["receiver"] + "/stats")
        self.wait_ready("directory", self.urls["directory"] + "/readyz")
        self.wait_ready("baseline", self.urls["baseline"] + "/readyz")
        self.timings["webhooks_set"] = self.point_webhooks_at_receiver()
        self.start_router(run_worker=False)
        self.timings["setup_s"] = time.monotonic() - began

    def start_router(self, *, run_worker: bool) -> None:
        """(Re)start the router; with the directory's webhooks set first, its start-up fetch
        stores the targets the worker signs with."""
        self.stop("router")
        self.start(
            "router",
            [PATHWAYS, "serve", "router", "--port", str(self.ports["router"])],
            self.env(PATHWAYS_RUN_WORKER="true" if run_worker else "false"),
        )
        self.wait_ready("router", self.urls["router"] + "/readyz")

    def point_webhooks_at_receiver(self) -> int:
        """PATCH every directory service (If-Match) with a webhook to the receiver; how many."""
        headers = {"Authorization": f"Bearer {self.keys.directory_admin}"}
        base = self.urls["directory"]
        changed = 0
        with httpx.Client(base_url=base, headers=headers, timeout=30.0) as client:
            cursor: str | None = None
            ids: list[str] = []
            while True:
                params: dict[str, Any] = {"limit": 100}
                if cursor:
                    params["cursor"] = cursor
                page = client.get("/services", params=params)
                page.raise_for_status()
                body = page.json()
                ids += [s["id"] for s in body["items"]]
                cursor = body.get("next_cursor")
                if not cursor:
                    break
            for sid in ids:
                current = client.get(f"/services/{sid}")
                current.raise_for_status()
                patched = client.patch(
                    f"/services/{sid}",
                    json={
                        "webhook": {
                            "url": f"{self.urls['receiver']}/hooks/{sid}",
                            "secret": WEBHOOK_SECRET,
                        }
                    },
                    headers={"If-Match": current.headers["ETag"]},
                )
                if patched.status_code != 200:
                    raise StackError(
                        f"PATCH /services/{sid} answered {patched.status_code}: {patched.text}"
                    )
                changed += 1
        return changed

    # ------------------------------------------------------------------ the router's database

    def engine(self, label: str) -> Engine:
        """A plain engine on one of the stack's databases, for counting rows."""
        if label not in self._engines:
            self._engines[label] = create_engine(self.urls[f"{label}_db"], pool_pre_ping=True)
        return self._engines[label]

    def outbox_counts(self) -> dict[str, int]:
        with self.engine("router").connect() as connection:
            rows = connection.execute(
                text("SELECT status, count(*) FROM outbox_events GROUP BY status")
            ).all()
        return {str(status): int(n) for status, n in rows}

    def router_counts(self) -> dict[str, int]:
        tables = ("referrals", "handovers", "timeline_events", "outbox_events", "audit_log")
        with self.engine("router").connect() as connection:
            return {
                t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in tables
            }

    def webhook_targets_stored(self) -> int:
        with self.engine("router").connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM webhook_targets")).scalar_one()
            return int(count)

    def set_aside_pending_events(self) -> int:
        """Mark the events queued while the worker was off as skipped, so that a worker started
        now delivers only what comes next (steady state, not a backlog)."""
        with self.engine("router").begin() as connection:
            result = connection.execute(
                text(
                    "UPDATE outbox_events SET status = 'skipped', "
                    "last_error = 'set aside by the benchmark' WHERE status = 'pending'"
                )
            )
            return int(result.rowcount)

    def receiver_stats(self) -> dict[str, Any]:
        response = httpx.get(self.urls["receiver"] + "/stats", timeout=10.0)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats


@contextlib.contextmanager
def terminating_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into SystemExit, so that ``finally`` blocks clean up."""

    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
