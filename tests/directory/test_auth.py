"""Keys: 401 without a valid one, 403 for the wrong role; stored only as hashes."""

from __future__ import annotations

from typing import Any

import anyio
import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from services.common.auth import dependencies
from services.common.auth import service as keys_service
from services.common.auth.repository import active_by_hash
from services.common.auth.schemas import Principal

from .helpers import Api, Keys, assert_problem

# Every endpoint that needs a key, with a body that would be valid for it.
ADMIN_ONLY = [
    ("POST", "/providers", {"id": "p-x", "name": "X"}),
    ("PATCH", "/providers/prov-a", {"name": "Y"}),
    ("DELETE", "/providers/prov-a", None),
    ("POST", "/services", {"id": "s-x", "provider_id": "prov-a", "name": "S", "needs": ["social"]}),
    ("PATCH", "/services/svc-a", {"name": "Y"}),
    ("DELETE", "/services/svc-a", None),
    ("POST", "/pathways", {"from_service": "entry:police", "to_service": "svc-a"}),
    ("DELETE", "/pathways/some-id", None),
    ("GET", "/audit", None),
]
ANY_KEY = [
    ("GET", "/providers", None),
    ("GET", "/providers/prov-a", None),
    ("GET", "/services", None),
    ("GET", "/services/svc-a", None),
    ("GET", "/pathways", None),
    ("GET", "/pathways/some-id", None),
    (
        "POST",
        "/search",
        {
            "victim": {"area": "E07000008"},
            "incident": {"kind": "theft"},
            "assessment": {"needs": {"finance": 2}},
        },
    ),
]
SERVICE_OR_ADMIN = [("GET", "/snapshot", None)]
ADMIN_OR_PROVIDER = [("PUT", "/services/svc-a/capacity", {"status": "amber"})]
EVERY = ADMIN_ONLY + ANY_KEY + SERVICE_OR_ADMIN + ADMIN_OR_PROVIDER


def _call(
    client: TestClient, method: str, path: str, body: object, headers: dict[str, str]
) -> httpx2.Response:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), EVERY)
def test_no_key_is_401_with_a_bearer_challenge(
    client: TestClient, method: str, path: str, body: object
) -> None:
    r = _call(client, method, path, body, {})
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer pwk_not-a-real-key",
        "Bearer " + "x" * 500,
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "pwk_no-scheme",
    ],
)
def test_a_wrong_or_malformed_key_is_401(client: TestClient, keys: Keys, header: str) -> None:
    r = client.get("/providers", headers={"Authorization": header})
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_keys_are_checked_on_the_event_loop_on_sqlite_and_a_revoked_key_stops_at_once(
    api: Api, engine: Engine, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the first keyed request checks its key in a worker thread and opens the
    event loop's reader (``LoopReader``); the next ones check theirs on the event loop. On
    PostgreSQL every check is made in a worker thread. Either way a key revoked meanwhile (as
    ``pathways keys revoke`` does, from another process) is refused at the next request."""
    checks_in_threads: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        if func is dependencies._check_in_thread:
            checks_in_threads.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    for _ in range(3):
        assert api.get("/providers", "referrer").status_code == 200
    assert len(checks_in_threads) == (1 if backend == "sqlite" else 3)
    with Session(engine) as session:
        row = active_by_hash(session=session, key_hash=keys_service.hash_key(api.keys.referrer))
        assert row is not None
        keys_service.revoke_key(session=session, key=row, by=Principal.operator("tests"))
        session.commit()
    assert_problem(api.get("/providers", "referrer"), 401)
    assert len(checks_in_threads) == (1 if backend == "sqlite" else 4)


def test_a_revoked_key_is_401(api: Api, engine: Engine) -> None:
    assert api.get("/providers", "referrer").status_code == 200
    with Session(engine) as session:
        row = active_by_hash(session=session, key_hash=keys_service.hash_key(api.keys.referrer))
        assert row is not None
        keys_service.revoke_key(session=session, key=row, by=Principal.operator("tests"))
        session.commit()
    r = api.get("/providers", "referrer")
    assert_problem(r, 401)
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
@pytest.mark.parametrize("who", ["referrer", "service", "provider_a"])
def test_admin_endpoints_refuse_other_roles_with_403(
    api: Api, method: str, path: str, body: object, who: str
) -> None:
    assert_problem(_call(api.client, method, path, body, api.as_(who)), 403, "forbidden")


@pytest.mark.parametrize("who", ["referrer", "provider_a"])
def test_the_snapshot_is_for_the_router_and_admins_only(api: Api, who: str) -> None:
    assert_problem(api.get("/snapshot", who), 403, "forbidden")
    assert api.get("/snapshot", "service").status_code == 200
    assert api.get("/snapshot", "admin").status_code == 200


@pytest.mark.parametrize("who", ["referrer", "service"])
def test_capacity_refuses_roles_other_than_admin_and_provider(api: Api, who: str) -> None:
    r = api.client.put("/services/svc-a/capacity", json={"status": "red"}, headers=api.as_(who))
    assert_problem(r, 403, "forbidden")


@pytest.mark.parametrize(("method", "path", "body"), ANY_KEY)
@pytest.mark.parametrize("who", ["admin", "referrer", "service", "provider_a"])
def test_reads_and_search_take_any_key(
    api: Api, method: str, path: str, body: object, who: str
) -> None:
    r = _call(api.client, method, path, body, api.as_(who))
    assert r.status_code in (200, 404), r.text  # 404: nothing by that id yet, but let in


def test_keys_are_stored_only_as_hashes(keys: Keys, engine: Engine) -> None:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT key_hash, prefix FROM api_keys")).all()
    stored = " ".join(f"{h} {p}" for h, p in rows)
    assert len(rows) == 5
    for key in (keys.admin, keys.referrer, keys.service, keys.provider_a, keys.provider_b):
        assert key not in stored
        assert keys_service.hash_key(key) in stored
