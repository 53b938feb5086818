"""A stack of real processes for each fault test: the directory and the router under
``pathways serve`` on loopback ports, and a provider's webhook receiver every service's webhook
points at. Settings come through the environment, as in production, with the worker's
intervals and backoff made small so the tests run in seconds."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from services.common.db import create_db_engine

from . import figures
from .receiver import WebhookReceiver
from .stack import (
    Router,
    ServiceProcess,
    free_port,
    prepare_directory,
    prepare_router,
    register_webhooks,
    service_env,
)

SECRET = "whsec_" + base64.b64encode(b"fault tests: one secret, 32 B!!!").decode()

FAST_WORKER = {
    "PATHWAYS_WORKER_POLL_SECONDS": "0.05",
    "PATHWAYS_WEBHOOK_TIMEOUT_SECONDS": "1",
    "PATHWAYS_WEBHOOK_LEASE_SECONDS": "8",
    "PATHWAYS_WEBHOOK_BACKOFF_BASE_SECONDS": "0.1",
    "PATHWAYS_WEBHOOK_BACKOFF_MAX_SECONDS": "0.5",
    "PATHWAYS_WEBHOOK_MAX_ATTEMPTS": "50",
}
"""A worker that polls every 50 ms and retries within half a second."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures.report(terminalreporter, "faults")


@dataclass
class Stack:
    directory: ServiceProcess
    router: Router
    receiver: WebhookReceiver
    directory_keys: dict[str, str]
    processes: list[ServiceProcess] = field(default_factory=list)

    def new_router(self, *, env: dict[str, str] | None = None) -> ServiceProcess:
        """Another router process on the same database (another port)."""
        process = ServiceProcess(
            "router",
            port=free_port(),
            env={**self.router.process.env, **(env or {})},
            log=self.router.process.log.with_name(f"router-{len(self.processes)}.log"),
        )
        self.processes.append(process)
        return process


StackFactory = Callable[..., Stack]


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[StackFactory]:
    """``make_stack(router_database_url=None, receiver_delay=0.0, **router_env)``: start the
    directory (seeded, every service's webhook pointing at the receiver), the receiver and
    the router; everything is stopped at the end of the test."""
    made: list[Stack] = []
    receivers: list[WebhookReceiver] = []
    engines = []

    def make(
        *, router_database_url: str | None = None, receiver_delay: float = 0.0, **env: str
    ) -> Stack:
        directory_url = f"sqlite:///{tmp_path / 'directory.db'}"
        router_url = router_database_url or f"sqlite:///{tmp_path / 'router.db'}"
        directory_keys = prepare_directory(directory_url)
        router_keys = prepare_router(router_url)
        receiver = WebhookReceiver(SECRET, delay=receiver_delay)
        receiver.start()
        receivers.append(receiver)
        directory = ServiceProcess(
            "directory",
            port=free_port(),
            env=service_env(
                PATHWAYS_DIRECTORY_DATABASE_URL=directory_url,
                PATHWAYS_ALLOW_INSECURE_WEBHOOKS="true",
                PATHWAYS_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",
            ),
            log=tmp_path / "directory.log",
        )
        router = ServiceProcess(
            "router",
            port=free_port(),
            env=service_env(
                PATHWAYS_ROUTER_DATABASE_URL=router_url,
                PATHWAYS_DIRECTORY_URL=directory.url,
                PATHWAYS_DIRECTORY_API_KEY=directory_keys["service"],
                PATHWAYS_ALLOW_INSECURE_WEBHOOKS="true",
                PATHWAYS_ALLOW_PRIVATE_WEBHOOK_TARGETS="true",
                PATHWAYS_SNAPSHOT_MAX_AGE_SECONDS="0",
                PATHWAYS_DIRECTORY_RETRIES="0",
                PATHWAYS_DIRECTORY_TIMEOUT_SECONDS="2",
                **{**FAST_WORKER, **env},
            ),
            log=tmp_path / "router.log",
        )
        engine = create_db_engine(router_url)
        engines.append(engine)
        stack = Stack(
            directory=directory,
            router=Router(process=router, keys=router_keys, engine=engine),
            receiver=receiver,
            directory_keys=directory_keys,
            processes=[directory, router],
        )
        made.append(stack)
        directory.start()
        register_webhooks(directory.url, directory_keys["admin"], url=receiver.url, secret=SECRET)
        router.start()
        return stack

    try:
        yield make
    finally:
        for stack in made:
            for process in reversed(stack.processes):
                process.stop()
        for receiver in receivers:
            receiver.stop()
        for engine in engines:
            engine.dispose()
