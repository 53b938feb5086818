"""A loopback webhook receiver for the benchmark: answers 204 to every delivery and counts.

``python -m bench.http.receiver --port P`` (the signing secret in
``PATHWAYS_BENCH_WEBHOOK_SECRET``). A bare ASGI app under uvicorn, access log off: the
receiver is the benchmark's tool, not what it measures, and must cost the machine little.

It checks what it is sent: the Standard Webhooks signature of the first deliveries and of every
``VERIFY_EVERY``-th after them (``standardwebhooks``, the library the router signs with, with
its timestamp tolerance), that the payload's ``service_id`` is the one in the URL
(``/hooks/{service_id}``), and that no ``webhook-id`` comes twice. ``GET /stats`` reports the
counts and the first and last arrival times (``time.time()``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import Any

import uvicorn
from standardwebhooks import Webhook

SECRET_VARIABLE = "PATHWAYS_BENCH_WEBHOOK_SECRET"
VERIFY_FIRST = 20
VERIFY_EVERY = 25


class Receiver:
    def __init__(self, secret: str) -> None:
        self.verifier = Webhook(secret)
        self.received = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.verified = 0
        self.bad_signatures: list[str] = []
        self.mismatched: list[str] = []
        self.ids: set[str] = set()
        self.duplicates = 0
        self.types: Counter[str] = Counter()

    def stats(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "verified": self.verified,
            "bad_signatures": self.bad_signatures[:5],
            "bad_signature_count": len(self.bad_signatures),
            "mismatched": self.mismatched[:5],
            "duplicates": self.duplicates,
            "types": dict(self.types),
        }

    def take(self, path: str, headers: dict[str, str], body: bytes) -> None:
        now = time.time()
        self.received += 1
        self.first_at = self.first_at or now
        self.last_at = now
        webhook_id = headers.get("webhook-id", "")
        if webhook_id in self.ids:
            self.duplicates += 1
        self.ids.add(webhook_id)
        if self.received <= VERIFY_FIRST or self.received % VERIFY_EVERY == 0:
            try:
                self.verifier.verify(body, headers)
                self.verified += 1
            except Exception as exc:  # the library raises its own kinds
                self.bad_signatures.append(f"{webhook_id}: {type(exc).__name__}: {exc}")
        try:
            payload = json.loads(body)
            self.types[str(payload.get("type"))] += 1
            service_id = payload["data"]["service_id"]
        except (ValueError, KeyError, TypeError):
            self.mismatched.append(f"{webhook_id}: not a webhook payload")
            return
        if path != f"/hooks/{service_id}":
            self.mismatched.append(f"{webhook_id}: {service_id} delivered to {path}")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "GET" and scope["path"] == "/stats":
            payload = json.dumps(self.stats()).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        if scope["method"] == "POST" and scope["path"].startswith("/hooks/"):
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.take(scope["path"], headers, body)
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http.receiver")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = Receiver(os.environ[SECRET_VARIABLE])
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
