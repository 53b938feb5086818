"""Small factories and fakes for the outbox tests: events, targets, a clock, a receiver."""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.db import writer
from services.router.outbox.models import OutboxEvent
from services.router.outbox.service import enqueue
from services.router.snapshot.models import WebhookTarget

SECRET = "whsec_" + base64.b64encode(b"pathways test secret, 32 bytes!!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"another secret that does not fit").decode()
HOOK_URL = "https://hooks.example.org/pathways"
PUBLIC_ADDRESS = "93.184.216.34"


def real_now() -> dt.datetime:
    # Standard Webhooks' verify() checks the timestamp against the real time (5 min tolerance).
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or real_now()
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self.now += dt.timedelta(seconds=seconds)
            return self.now


def public_resolver(host: str, port: int) -> list[str]:
    """Every host name is one public address (MockTransport never connects to it)."""
    return [PUBLIC_ADDRESS]


def resolver(answers: Mapping[str, Sequence[str]]) -> Callable[[str, int], list[str]]:
    return lambda host, _port: list(answers[host])


def add_target(
    engine: Engine,
    service_id: str = "svc-a",
    *,
    url: str = HOOK_URL,
    secret: str = SECRET,
    provider_id: str = "prov-a",
) -> None:
    with Session(writer(engine)) as session:
        session.merge(
            WebhookTarget(
                service_id=service_id,
                provider_id=provider_id,
                url=url,
                secret=secret,
                updated_at=real_now(),
            )
        )
        session.commit()


def add_events(
    engine: Engine,
    count: int = 1,
    *,
    now: dt.datetime,
    service_id: str = "svc-a",
    provider_id: str = "prov-a",
    type: str = "handover.requested",
) -> list[str]:
    """``count`` events enqueued as the router does, committed; their ids sorted, which is the
    order they are claimed in (they are all due at ``now``)."""
    ids: list[str] = []
    with Session(writer(engine)) as session:
        for n in range(count):
            event = enqueue(
                session=session,
                type=type,
                service_id=service_id,
                provider_id=provider_id,
                data={"handover_id": f"h-{n}", "status": "requested"},
                now=now,
            )
            ids.append(event.id)
        session.commit()
    return sorted(ids)


def event(engine: Engine, event_id: str) -> OutboxEvent:
    with Session(engine) as session:
        found = session.get(OutboxEvent, event_id)
        assert found is not None
        session.expunge(found)
        return found


@dataclass
class Seen:
    url: str
    headers: dict[str, str]
    body: bytes
    extensions: dict[str, object]


@dataclass
class Receiver:
    """A ``MockTransport`` handler that records every request and answers from a script: each
    entry is a status, a status with headers, or an exception to raise; the last one repeats."""

    script: list[int | tuple[int, dict[str, str]] | Exception] = field(
        default_factory=lambda: [204]
    )
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.seen.append(
                Seen(
                    url=str(request.url),
                    headers=dict(request.headers),
                    body=request.read(),
                    extensions=dict(request.extensions),
                )
            )
            step = self.script[min(len(self.seen) - 1, len(self.script) - 1)]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, tuple):
            return httpx.Response(step[0], headers=step[1])
        return httpx.Response(step)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)
