"""Both services under uvicorn on loopback ports, a webhook receiver, and one victim's journey:
a referral, a signed webhook that verifies, accept, first contact, an escalation to high risk
(the IDVA takes over; Victim Support is released only after the IDVA's first contact) and
completion with outcomes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

ROOT = Path(__file__).resolve().parents[2]
PATHWAYS = [sys.executable, "-m", "services.cli"]
SECRETS = {
    "victim-support-enhanced": "whsec_" + "dmljdGltLXN1cHBvcnQtc2VjcmV0LWtleS0wMDE=",
    "idva-cambridgeshire": "whsec_" + "aWR2YS1jYW1icmlkZ2VzaGlyZS1zZWNyZXQtMDAx",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Receiver:
    """A provider system's webhook endpoint: records what arrives."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self, type: str, service_id: str) -> list[dict[str, Any]]:
        with self.lock:
            out = []
            for headers, body in self.received:
                payload = json.loads(body)
                if payload["type"] == type and payload["data"]["service_id"] == service_id:
                    out.append({"headers": headers, "body": body, "payload": payload})
            return out

    def wait_for(self, type: str, service_id: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.events(type, service_id)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no {type} webhook for {service_id} within {timeout}s")


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with rec.lock:
                rec.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec, int(server.server_address[1])
    server.shutdown()
    server.server_close()


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [*PATHWAYS, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


@dataclass
class Stack:
    router: str
    directory: str
    keys: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


@pytest.fixture
def stack(tmp_path: Path, receiver: tuple[Receiver, int]) -> Iterator[Stack]:
    _rec, receiver_port = receiver
    directory_port, router_port = free_port(), free_port()
    env = {
        **os.environ,
        "PATHWAYS_DIRECTORY_DATABASE_URL": f"sqlite:///{tmp_path / 'directory.db'}",
        "PATHWAYS_ROUTER_DATABASE_URL": f"sqlite:///{tmp_path / 'router.db'}",
        "PATHWAYS_DIRECTORY_URL": f"http://127.0.0.1:{directory_port}",
        "PATHWAYS_ALLOW_INSECURE_WEBHOOKS": "true",
        "PATHWAYS_ALLOW_PRIVATE_WEBHOOK_TARGETS": "true",
        "PATHWAYS_SNAPSHOT_MAX_AGE_SECONDS": "0",
        "PATHWAYS_WORKER_POLL_SECONDS": "0.1",
    }
    for name in [k for k in env if k.startswith("PATHWAYS_TEST_")]:
        env.pop(name)
    run(["db", "upgrade", "--service", "directory"], env)
    run(["seed"], env)
    run(["db", "upgrade", "--service", "router"], env)
    keys = {
        "directory_admin": run(
            ["keys", "create", "--service", "directory", "--role", "admin"], env
        ),
        "router_service": run(
            ["keys", "create", "--service", "directory", "--role", "service"], env
        ),
        "referrer": run(
            [
                "keys",
                "create",
                "--service",
                "router",
                "--role",
                "referrer",
                "--name",
                "police-triage",
            ],
            env,
        ),
        "victim_support": run(
            [
                "keys",
                "create",
                "--service",
                "router",
                "--role",
                "provider",
                "--provider",
                "victim-support",
            ],
            env,
        ),
        "idva": run(
            [
                "keys",
                "create",
                "--service",
                "router",
                "--role",
                "provider",
                "--provider",
                "idva-service",
            ],
            env,
        ),
    }
    env["PATHWAYS_DIRECTORY_API_KEY"] = keys["router_service"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        directory = subprocess.Popen(
            [*PATHWAYS, "serve", "directory", "--port", str(directory_port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(directory)
        wait_ready(f"http://127.0.0.1:{directory_port}/readyz", directory)
        # The providers' systems register their webhook endpoints with the directory.
        for service_id, secret in SECRETS.items():
            url = f"http://127.0.0.1:{directory_port}/services/{service_id}"
            admin = {"Authorization": f"Bearer {keys['directory_admin']}"}
            etag = httpx.get(url, headers=admin).headers["ETag"]
            patched = httpx.patch(
                url,
                headers={**admin, "If-Match": etag},
                json={
                    "webhook": {"url": f"http://127.0.0.1:{receiver_port}/hooks", "secret": secret}
                },
            )
            assert patched.status_code == 200, patched.text
        router = subprocess.Popen(
            [*PATHWAYS, "serve", "router", "--port", str(router_port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(router)
        wait_ready(f"http://127.0.0.1:{router_port}/readyz", router)
        yield Stack(f"http://127.0.0.1:{router_port}", f"http://127.0.0.1:{directory_port}", keys)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def verified(event: dict[str, Any], service_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(SECRETS[service_id]).verify(event["body"], event["headers"])
    return payload


def test_a_victims_journey(stack: Stack, receiver: tuple[Receiver, int]) -> None:
    with httpx.Client(base_url=stack.router, timeout=30) as client:
        journey(stack, receiver[0], client)


def journey(stack: Stack, rec: Receiver, client: httpx.Client) -> None:

    referral = client.post(
        "/referrals",
        headers={**stack.headers("referrer"), "Idempotency-Key": "journey-1"},
        json={
            "source": {"kind": "police", "reference": "CC/2026/009001"},
            "victim": {"age": 41, "area": "E07000008", "sex": "male", "consent_to_share": True},
            "incident": {
                "kind": "domestic_abuse",
                "reported_to_police": True,
                "reported_on": "2026-11-23",
            },
            "assessment": {"dash_score": 6, "needs": {"emotional_support": 2}},
        },
    )
    assert referral.status_code == 201, referral.text
    r = referral.json()
    assert r["plan"]["lead"] == "victim-support-enhanced"
    [vs] = [h for h in r["plan"]["handovers"] if h["service_id"] == "victim-support-enhanced"]

    # The signed webhook arrives and verifies; it carries no personal data.
    event = rec.wait_for("handover.requested", "victim-support-enhanced")
    payload = verified(event, "victim-support-enhanced")
    assert payload["data"]["handover_id"] == vs["id"]
    assert set(payload["data"]) <= {
        "handover_id",
        "referral_id",
        "service_id",
        "status",
        "mode",
        "needs",
        "respond_by",
    }

    assert (
        client.post(
            f"/handovers/{vs['id']}/accept", headers=stack.headers("victim_support")
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/handovers/{vs['id']}/contact", headers=stack.headers("victim_support")
        ).status_code
        == 200
    )

    # Risk escalates: the IDVA takes over, handed over warmly by Victim Support.
    reassessed = client.post(
        f"/referrals/{r['id']}/assessments",
        headers=stack.headers("victim_support"),
        json={"dash_score": 17, "flags": ["risk_from_offender"], "needs": {"emotional_support": 0}},
    )
    assert reassessed.status_code == 201, reassessed.text
    diff = reassessed.json()["diff"]
    [idva] = diff["start"]
    assert idva["service_id"] == "idva-cambridgeshire"
    assert idva["from"] == "victim-support-enhanced"
    assert diff["release"][0]["after"] == ["idva-cambridgeshire"]
    assert reassessed.json()["referral"]["marac"]["criterion"] == "score"
    verified(rec.wait_for("handover.requested", "idva-cambridgeshire"), "idva-cambridgeshire")

    def statuses() -> dict[str, str]:
        got = client.get(f"/referrals/{r['id']}", headers=stack.headers("referrer")).json()
        return {h["service_id"]: h["status"] for h in got["plan"]["handovers"]}

    assert (
        client.post(f"/handovers/{idva['id']}/accept", headers=stack.headers("idva")).status_code
        == 200
    )
    assert statuses()["victim-support-enhanced"] == "in_progress"  # still responsible
    assert not rec.events("handover.cancelled", "victim-support-enhanced")
    assert (
        client.post(f"/handovers/{idva['id']}/contact", headers=stack.headers("idva")).status_code
        == 200
    )
    assert "victim-support-enhanced" not in statuses()
    cancelled = rec.wait_for("handover.cancelled", "victim-support-enhanced")
    verified(cancelled, "victim-support-enhanced")

    done = client.post(
        f"/handovers/{idva['id']}/complete",
        headers=stack.headers("idva"),
        json={"outcomes": {"domestic_abuse_advocacy": "improved"}},
    )
    assert done.status_code == 200, done.text
    final = client.get(f"/referrals/{r['id']}", headers=stack.headers("referrer")).json()
    assert final["status"] == "closed"
    timeline = client.get(
        f"/referrals/{r['id']}/timeline", headers=stack.headers("referrer")
    ).json()["events"]
    kinds = [e["kind"] for e in timeline]
    assert kinds.index("handover.in_progress") < kinds.index("handover.cancelled")
    assert kinds[-1] == "referral.closed"
