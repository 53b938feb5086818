"""Real processes on loopback for the fault tests.

``ServiceProcess`` runs ``python -m services.cli serve directory|router`` on a fixed loopback
port, so it can be stopped, killed with SIGKILL and started again where clients expect it.
Databases are migrated, seeded and given keys in this process before any service starts (that
set-up is not under test; what runs afterwards is). Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session

from services.common.auth.schemas import Principal, Role
from services.common.auth.service import create_key
from services.common.db import create_db_engine, writer
from services.directory.db import MIGRATIONS as DIRECTORY_MIGRATIONS
from services.directory.seed import seed
from services.router.db import MIGRATIONS as ROUTER_MIGRATIONS

ROOT = Path(__file__).resolve().parents[2]
PATHWAYS = [sys.executable, "-m", "services.cli"]
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
OPERATOR = Principal.operator("fault tests")

ROUTER_PROVIDERS = {
    "victim_support": "victim-support",
    "idva": "idva-service",
    "refuge": "cambridgeshire-womens-aid",
    "housing": "cambridge-city-council",
}
"""Provider keys the fault tests act with (who → provider id)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(**settings: str) -> dict[str, str]:
    """The environment of a service process: this one without any ``PATHWAYS_`` variable (a
    developer's settings must not leak in), plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env.update(settings)
    return env


def wait_until(
    condition: Callable[[], bool], *, timeout: float, interval: float = 0.05, what: str
) -> float:
    """Poll ``condition`` until it holds; the seconds it took. AssertionError after ``timeout``."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


class ServiceProcess:
    """One ``pathways serve`` process on ``127.0.0.1:port``; its output goes to ``log``."""

    def __init__(self, service: str, *, port: int, env: dict[str, str], log: Path) -> None:
        self.service = service
        self.port = port
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, *, ready: str = "/readyz") -> None:
        """Start, and wait until ``ready`` answers 200 (``/healthz`` when the database is meant
        to be out of reach)."""
        assert not self.alive(), f"the {self.service} is already running"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [*PATHWAYS, "serve", self.service, "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts += 1
        self.wait_ready(ready)

    def wait_ready(self, path: str = "/readyz", timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise AssertionError(
                        f"the {self.service} exited ({self.returncode()}):\n{self.log_tail()}"
                    )
                try:
                    if client.get(path).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise AssertionError(
            f"the {self.service} was not ready within {timeout:g} s:\n{self.log_tail()}"
        )

    def returncode(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, whatever it was doing."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL if it takes longer than ``STOP_TIMEOUT_S``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --------------------------------------------------------------------------- databases


def prepare_directory(url: str) -> dict[str, str]:
    """Migrate and seed a directory database; its ``admin`` and (router) ``service`` keys."""
    engine = create_db_engine(url)
    try:
        DIRECTORY_MIGRATIONS.upgrade(engine)
        with Session(writer(engine)) as session:
            seed(session=session)
            _row, admin = create_key(session=session, role=Role.ADMIN, name="admin", by=OPERATOR)
            _row, service = create_key(
                session=session, role=Role.SERVICE, name="router", by=OPERATOR
            )
            session.commit()
    finally:
        engine.dispose()
    return {"admin": admin, "service": service}


def prepare_router(url: str) -> dict[str, str]:
    """Migrate a router database; keys for a referrer, an admin and ``ROUTER_PROVIDERS``."""
    engine = create_db_engine(url)
    keys: dict[str, str] = {}
    try:
        ROUTER_MIGRATIONS.upgrade(engine)
        with Session(writer(engine)) as session:
            _row, keys["referrer"] = create_key(
                session=session, role=Role.REFERRER, name="police-triage", by=OPERATOR
            )
            _row, keys["admin"] = create_key(
                session=session, role=Role.ADMIN, name="admin", by=OPERATOR
            )
            for who, provider in ROUTER_PROVIDERS.items():
                _row, keys[who] = create_key(
                    session=session,
                    role=Role.PROVIDER,
                    name=f"provider-{who}",
                    provider_id=provider,
                    by=OPERATOR,
                )
            session.commit()
    finally:
        engine.dispose()
    return keys


def register_webhooks(directory_url: str, admin_key: str, *, url: str, secret: str) -> list[str]:
    """Point every service's webhook at ``url`` (signed with ``secret``); their ids."""
    admin = {"Authorization": f"Bearer {admin_key}"}
    done: list[str] = []
    with httpx.Client(base_url=directory_url, headers=admin, timeout=10) as client:
        listed = client.get("/services", params={"limit": 200})
        assert listed.status_code == 200, listed.text
        for item in listed.json()["items"]:
            service_id = item["id"]
            etag = client.get(f"/services/{service_id}").headers["ETag"]
            patched = client.patch(
                f"/services/{service_id}",
                headers={"If-Match": etag},
                json={"webhook": {"url": url, "secret": secret}},
            )
            assert patched.status_code == 200, patched.text
            done.append(service_id)
    return done


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    """A read-only query on a service's database, as plain dicts."""
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text(sql), params)]


# --------------------------------------------------------------------------- referrals


def referral(reference: str, *, kind: str = "low") -> dict[str, Any]:
    """A referral body. ``low``: one handover (Victim Support's enhanced service); ``high``:
    API.md's high-risk domestic abuse example (an IDVA and more)."""
    if kind == "high":
        return {
            "source": {"kind": "police", "reference": reference},
            "victim": {
                "age": 34,
                "area": "E07000008",
                "role": "direct",
                "sex": "female",
                "consent_to_share": True,
                "contact": {"channels": ["phone"], "do_not_contact": False},
            },
            "incident": {
                "kind": "domestic_abuse",
                "reported_to_police": True,
                "occurred_on": "2026-11-20",
                "reported_on": "2026-11-21",
            },
            "assessment": {
                "dash_score": 16,
                "flags": ["risk_from_offender"],
                "incidents_last_12_months": 2,
                "needs": {"domestic_abuse_advocacy": 3, "accommodation": 2},
            },
        }
    return {
        "source": {"kind": "police", "reference": reference},
        "victim": {"age": 41, "area": "E07000008", "sex": "male", "consent_to_share": True},
        "incident": {"kind": "violence", "reported_to_police": True},
        "assessment": {"dash_score": 0, "needs": {"emotional_support": 2}},
    }


def quiet_referral(reference: str) -> dict[str, Any]:
    """A referral with nothing to hand over (no webhooks): it only makes the router fetch the
    directory, and so copy the webhook targets."""
    body = referral(reference)
    body["assessment"] = {"dash_score": 0, "needs": {"emotional_support": 0}}
    return body


@dataclass
class Router:
    """A router process and what the tests need to talk to it and read its database."""

    process: ServiceProcess
    keys: dict[str, str]
    engine: Engine

    def headers(self, who: str = "referrer", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}", **extra}

    def client(self, timeout: float = 15.0) -> httpx.Client:
        return httpx.Client(base_url=self.process.url, timeout=timeout)

    def webhook_targets(self) -> int:
        return int(rows(self.engine, "SELECT count(*) AS n FROM webhook_targets")[0]["n"])

    def outbox(self) -> list[dict[str, Any]]:
        return rows(
            self.engine,
            "SELECT id, type, service_id, status, attempts, claimed_by, last_error "
            "FROM outbox_events ORDER BY created_at, id",
        )

    def pending(self) -> int:
        return int(
            rows(self.engine, "SELECT count(*) AS n FROM outbox_events WHERE status = 'pending'")[
                0
            ]["n"]
        )

    def requested_handovers(self) -> int:
        """Handovers that were ever sent (each must have its ``handover.requested`` event)."""
        return int(
            rows(self.engine, "SELECT count(*) AS n FROM handovers WHERE requested_at IS NOT NULL")[
                0
            ]["n"]
        )

    def warm_up(self, *, timeout: float = 15.0) -> None:
        """Make the router fetch the directory and store the webhook targets before any event
        exists (a first event could otherwise be skipped as having no webhook)."""
        with self.client() as client:
            response = client.post(
                "/referrals", headers=self.headers(), json=quiet_referral("WARM-UP")
            )
            assert response.status_code == 201, response.text
            assert not response.json()["plan"]["handovers"]
        wait_until(
            lambda: self.webhook_targets() > 0, timeout=timeout, what="the webhook targets copied"
        )


def post_referrals(router: Router, references: Iterable[str], *, kind: str = "low") -> list[str]:
    """POST one referral per reference (each its own Idempotency-Key); their ids."""
    ids: list[str] = []
    with router.client() as client:
        for reference in references:
            response = client.post(
                "/referrals",
                headers=router.headers(**{"Idempotency-Key": reference}),
                json=referral(reference, kind=kind),
            )
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
    return ids
