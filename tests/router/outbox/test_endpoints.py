"""/outbox: admins list, read and replay dead letters; nobody else; no secret ever shown."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.audit.models import AuditEvent
from services.common.auth.schemas import Principal, Role
from services.common.auth.service import create_key
from services.common.db import LoopReader, writer
from services.common.errors import install_problem_handlers
from services.router.outbox.delivery import Deliverer
from services.router.outbox.endpoints import router
from services.router.settings import RouterSettings

from .helpers import SECRET, FakeClock, Receiver, add_events, add_target, event, public_resolver

PROBLEM_JSON = "application/problem+json"
ROLES = {
    "admin": (Role.ADMIN, None),
    "referrer": (Role.REFERRER, None),
    "provider": (Role.PROVIDER, "prov-a"),
    "service": (Role.SERVICE, None),
}


@pytest.fixture
def keys(engine: Engine) -> dict[str, dict[str, str]]:
    made: dict[str, dict[str, str]] = {}
    with Session(writer(engine)) as session:
        for who, (role, provider) in ROLES.items():
            _row, key = create_key(
                session=session,
                role=role,
                name=f"test-{who}",
                provider_id=provider,
                by=Principal.operator("tests"),
            )
            made[who] = {"Authorization": f"Bearer {key}"}
        session.commit()
    return made


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """The outbox endpoints alone, on the router's problem handling and database."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        loop_reader = LoopReader(engine)
        try:
            yield {"engine": engine, "loop_reader": loop_reader}
        finally:
            loop_reader.close()

    app = FastAPI(lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(router)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def outcomes(settings: RouterSettings, engine: Engine) -> dict[str, list[str]]:
    """Events of every status: two dead (410), one skipped (no webhook), one delivered, one
    pending (503)."""
    clock = FakeClock()
    answers = {"svc-gone": 410, "svc-ok": 204, "svc-slow": 503}
    by_id: dict[str, int] = {}
    for service_id, status in answers.items():
        add_target(engine, service_id)
        count = 2 if status == 410 else 1
        by_id |= dict.fromkeys(
            add_events(engine, count, now=clock(), service_id=service_id), status
        )
    skipped = add_events(engine, now=clock(), service_id="svc-none")

    def answer(request: httpx.Request) -> httpx.Response:
        status = by_id[request.headers["webhook-id"]]
        # The pending one is not due again for an hour, whatever the tests' clock.
        return httpx.Response(status, headers={"Retry-After": "3600"} if status == 503 else {})

    deliverer = Deliverer(
        settings=settings,
        engine=engine,
        name="w",
        transport=httpx.MockTransport(answer),
        clock=clock,
        resolve=public_resolver,
        rng=random.Random(3),
    )
    try:
        deliverer.run()
    finally:
        deliverer.close()
    groups = {"skipped": skipped}
    for name, status in (("dead", 410), ("delivered", 204), ("pending", 503)):
        groups[name] = sorted(i for i, s in by_id.items() if s == status)
    return groups


def assert_problem(response: httpx2.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    if code is not None:
        assert response.json()["code"] == code


def test_admins_list_dead_letters_oldest_first_with_why(
    client: TestClient, keys: dict[str, dict[str, str]], outcomes: dict[str, list[str]]
) -> None:
    r = client.get("/outbox/dead-letters", headers=keys["admin"])
    assert r.status_code == 200, r.text
    page = r.json()
    assert [e["id"] for e in page["items"]] == outcomes["dead"]
    assert page["next_cursor"] is None
    first = page["items"][0]
    assert first["status"] == "dead" and first["attempts"] == 1
    assert first["last_status_code"] == 410 and first["last_error"].startswith("gone")
    assert first["service_id"] == "svc-gone" and first["provider_id"] == "prov-a"
    assert first["payload"]["type"] == "handover.requested"
    assert SECRET not in r.text and "whsec_" not in r.text and "hooks.example.org" not in r.text


def test_skipped_events_are_listed_on_request(
    client: TestClient, keys: dict[str, dict[str, str]], outcomes: dict[str, list[str]]
) -> None:
    r = client.get("/outbox/dead-letters?status=skipped", headers=keys["admin"])
    assert [e["id"] for e in r.json()["items"]] == outcomes["skipped"]
    assert "no webhook" in r.json()["items"][0]["last_error"]
    bad = client.get("/outbox/dead-letters?status=pending", headers=keys["admin"])
    assert_problem(bad, 422)


def test_dead_letters_page_with_a_cursor_and_filter(
    client: TestClient, keys: dict[str, dict[str, str]], outcomes: dict[str, list[str]]
) -> None:
    first = client.get("/outbox/dead-letters?limit=1", headers=keys["admin"]).json()
    assert [e["id"] for e in first["items"]] == outcomes["dead"][:1]
    second = client.get(
        "/outbox/dead-letters",
        params={"limit": 1, "cursor": first["next_cursor"]},
        headers=keys["admin"],
    ).json()
    assert [e["id"] for e in second["items"]] == outcomes["dead"][1:]
    assert second["next_cursor"] is None
    none = client.get("/outbox/dead-letters?service_id=svc-ok", headers=keys["admin"])
    assert none.json()["items"] == []
    other = client.get("/outbox/dead-letters?provider_id=prov-b", headers=keys["admin"])
    assert other.json()["items"] == []


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "eyJsIjoiYXVkaXQiLCJhIjoxfQ", "eyJsIjoib3V0Ym94LmRlYWQtbGV0dGVycyIsImEiOiJ4In0"],
)
def test_a_bad_cursor_is_a_422(
    client: TestClient, keys: dict[str, dict[str, str]], cursor: str
) -> None:
    r = client.get("/outbox/dead-letters", params={"cursor": cursor}, headers=keys["admin"])
    assert_problem(r, 422)
    assert r.json()["errors"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize("who", ["referrer", "provider", "service"])
def test_only_admins_may_use_the_outbox(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    outcomes: dict[str, list[str]],
    who: str,
) -> None:
    dead = outcomes["dead"][0]
    for response in (
        client.get("/outbox/dead-letters", headers=keys[who]),
        client.get(f"/outbox/events/{dead}", headers=keys[who]),
        client.post(f"/outbox/dead-letters/{dead}/replay", headers=keys[who]),
    ):
        assert_problem(response, 403, "forbidden")
    assert_problem(client.get("/outbox/dead-letters"), 401)
    assert event_status(client, keys, dead) == "dead"


def event_status(client: TestClient, keys: dict[str, dict[str, str]], event_id: str) -> str:
    return str(client.get(f"/outbox/events/{event_id}", headers=keys["admin"]).json()["status"])


def test_admins_read_any_event(
    client: TestClient, keys: dict[str, dict[str, str]], outcomes: dict[str, list[str]]
) -> None:
    for status, ids in outcomes.items():
        r = client.get(f"/outbox/events/{ids[0]}", headers=keys["admin"])
        assert r.status_code == 200 and r.json()["status"] == status
    delivered = client.get(f"/outbox/events/{outcomes['delivered'][0]}", headers=keys["admin"])
    assert delivered.json()["delivered_at"] is not None
    assert_problem(client.get("/outbox/events/msg_nope", headers=keys["admin"]), 404)
    assert_problem(client.get("/outbox/events/bad%20id", headers=keys["admin"]), 422)


def test_a_replayed_dead_letter_is_delivered_again_with_the_same_webhook_id(
    settings: RouterSettings,
    engine: Engine,
    client: TestClient,
    keys: dict[str, dict[str, str]],
    outcomes: dict[str, list[str]],
) -> None:
    dead = outcomes["dead"][0]
    r = client.post(f"/outbox/dead-letters/{dead}/replay", headers=keys["admin"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "pending" and body["attempts"] == 0
    assert body["last_error"] is None and body["last_status_code"] is None
    with Session(engine) as session:
        [audited] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "outbox.replay")
        ).all()
    assert audited.entity_type == "outbox_event" and audited.entity_id == dead
    assert audited.actor_name == "test-admin" and audited.actor_role == "admin"
    assert audited.before is not None and audited.before["status"] == "dead"
    assert audited.after is not None and audited.after["status"] == "pending"
    receiver = Receiver()
    deliverer = Deliverer(
        settings=settings,
        engine=engine,
        name="again",
        transport=receiver.transport,
        resolve=public_resolver,
    )
    try:
        [outcome] = deliverer.run()
    finally:
        deliverer.close()
    assert outcome.event_id == dead
    assert [s.headers["webhook-id"] for s in receiver.seen] == [dead]
    assert event(engine, dead).status == "delivered"


def test_a_skipped_event_can_be_replayed_once_its_service_has_a_webhook(
    client: TestClient, keys: dict[str, dict[str, str]], outcomes: dict[str, list[str]]
) -> None:
    skipped = outcomes["skipped"][0]
    r = client.post(f"/outbox/dead-letters/{skipped}/replay", headers=keys["admin"])
    assert r.status_code == 200 and r.json()["status"] == "pending"


@pytest.mark.parametrize("status", ["pending", "delivered"])
def test_only_dead_or_skipped_events_can_be_replayed(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    outcomes: dict[str, list[str]],
    status: str,
) -> None:
    event_id = outcomes[status][0]
    r = client.post(f"/outbox/dead-letters/{event_id}/replay", headers=keys["admin"])
    assert_problem(r, 409, "not_replayable")
    assert status in r.json()["detail"]
    assert event_status(client, keys, event_id) == status


def test_replaying_an_unknown_event_is_a_404(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    r = client.post("/outbox/dead-letters/msg_nope/replay", headers=keys["admin"])
    assert_problem(r, 404, "outbox_event_not_found")
