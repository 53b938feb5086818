"""A real webhook receiver on 127.0.0.1: a tiny threaded ``http.server`` that checks every
signature with the ``standardwebhooks`` library, and can be taken down and brought back on the
same port."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

MAX_BODY = 1_000_000


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    body: bytes
    payload: Any


class LoopbackReceiver:
    """``start()`` listens (on a fresh port the first time, the same port after), ``stop()``
    closes the socket, so connections are refused while it is down."""

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(secret)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.accepted: list[Delivery] = []
        self.rejected = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/pathways"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(min(length, MAX_BODY))
                headers = {k: v for k, v in self.headers.items()}
                status = receiver._receive(body, headers)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _receive(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            payload = self._webhook.verify(body, headers)
        except WebhookVerificationError:
            with self._lock:
                self.rejected += 1
            return 401
        with self._lock:
            self.accepted.append(
                Delivery(webhook_id=headers["webhook-id"], body=body, payload=payload)
            )
        return 204

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(d.webhook_id for d in self.accepted)
