"""A provider system's webhook endpoint on 127.0.0.1, for the fault tests.

It checks every signature with the ``standardwebhooks`` library and records each verified
arrival *before* it answers, then answers 204 after ``delay`` seconds: a router killed during
that wait has had its delivery received without learning so, which is how duplicates (with the
same ``webhook-id``) come about. ``stop()`` closes the socket (connections are refused while it
is down); ``start()`` listens again on the same port.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Arrival:
    webhook_id: str
    type: str
    body: bytes
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() waits for the requests under way
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a sender killed mid-request: nothing to report


class WebhookReceiver:
    def __init__(self, secret: str, *, delay: float = 0.0) -> None:
        self.secret = secret
        self.delay = delay
        self._webhook = Webhook(secret)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.arrivals: list[Arrival] = []
        self.rejected = 0
        self.outages = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/pathways"

    @property
    def up(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(min(length, MAX_BODY))
                status = receiver._receive(body, {k: v for k, v in self.headers.items()})
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = _Server(("127.0.0.1", self.port), Handler)
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self.outages += 1
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _receive(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            self._webhook.verify(body, headers)
        except WebhookVerificationError:
            with self._lock:
                self.rejected += 1
            return 401
        arrival = Arrival(
            webhook_id=headers["webhook-id"],
            type=str(json.loads(body)["type"]),
            body=body,
            at=time.monotonic(),
        )
        with self._lock:
            self.arrivals.append(arrival)
        return 204

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(a.webhook_id for a in self.arrivals)

    def bodies(self) -> dict[str, set[bytes]]:
        """Every distinct body received under each ``webhook-id``."""
        out: dict[str, set[bytes]] = {}
        with self._lock:
            for a in self.arrivals:
                out.setdefault(a.webhook_id, set()).add(a.body)
        return out
