"""Function level access control (OWASP API5), generated from the apps' route tables.

``DIRECTORY_ROLES`` and ``ROUTER_ROLES`` (helpers.py) say who may call each endpoint; they
must name every route the apps have, and nothing else. Every role they leave out gets 403, a
missing or wrong key gets 401 with ``WWW-Authenticate: Bearer``, and every role they name gets
past the role check (whatever the request then makes of the made-up ids and empty bodies).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.common.auth.schemas import Role

from .helpers import (
    DIRECTORY_ROLES,
    HERE,
    PUBLIC,
    ROUTER_ROLES,
    Endpoint,
    endpoints,
    may,
)

MISSING = {
    "referral_id": "00000000-0000-4000-8000-000000000000",
    "handover_id": "00000000-0000-4000-8000-000000000000",
    "event_id": "msg_00000000000000000000000000000000",
    "provider_id": "prov-nowhere",
    "service_id": "svc-nowhere",
    "pathway_id": "pw-nowhere",
    "case_id": "00000000-0000-4000-8000-000000000000",
}
"""A well-formed id that names nothing, for each path parameter."""

WRONG_KEY = {"Authorization": "Bearer pwk_not-a-key-anyone-was-given"}


def _check(
    app: FastAPI,
    client: TestClient,
    table: dict[tuple[str, str], frozenset[Role]],
    table_name: str,
    keys: dict[Role, dict[str, str]],
) -> int:
    """Every endpoint, as every role, without a key and with a wrong one; the calls made."""
    routes = endpoints(app)
    unmapped = [str(e) for e in routes if e.key not in table]
    assert not unmapped, (
        f"these endpoints have no expected roles: {unmapped}; add each to {table_name} in {HERE} "
        "with the roles that may call it (PUBLIC when no key is needed)"
    )
    gone = sorted(f"{m} {p}" for m, p in set(table) - {e.key for e in routes})
    assert not gone, f"{table_name} names endpoints the app no longer has: {gone}"
    unknown = sorted({p for e in routes for p in e.params} - set(MISSING))
    assert not unknown, f"no made-up id for the path parameters {unknown}: add them to MISSING"
    assert set(keys) == set(Role), "a key for every role"

    problems: list[str] = []
    calls = 0

    def call(endpoint: Endpoint, headers: dict[str, str]) -> Any:
        nonlocal calls
        calls += 1
        body: dict[str, Any] | None = {} if endpoint.method in ("POST", "PUT", "PATCH") else None
        return client.request(
            endpoint.method,
            endpoint.url(MISSING),
            headers={"Accept": "application/json", **headers},
            json=body,
        )

    for endpoint in routes:
        allowed = table[endpoint.key]
        for role, headers in keys.items():
            got = call(endpoint, headers)
            if may(role, allowed):
                if got.status_code in (401, 403):
                    problems.append(f"{endpoint} refused {role}, which may call it: {got.text}")
            elif got.status_code != 403 or got.json().get("code") != "forbidden":
                problems.append(f"{endpoint} let {role} through: {got.status_code} {got.text}")
        for label, headers in (("no key", {}), ("a wrong key", WRONG_KEY)):
            got = call(endpoint, headers)
            if allowed == PUBLIC:
                if got.status_code in (401, 403):
                    problems.append(f"{endpoint} is public but refused {label}: {got.text}")
                continue
            challenge = got.headers.get("www-authenticate", "")
            if got.status_code != 401 or not challenge.startswith("Bearer"):
                problems.append(
                    f"{endpoint} with {label}: {got.status_code}, WWW-Authenticate "
                    f"{challenge!r}; expected 401 with a Bearer challenge: {got.text[:200]}"
                )
    assert not problems, "\n".join(problems)
    return calls


def test_every_router_endpoint_refuses_every_role_it_does_not_name(
    router_app: FastAPI, router: TestClient, router_keys: Any
) -> None:
    keys = {
        Role.ADMIN: router_keys.of("admin"),
        Role.REFERRER: router_keys.of("referrer"),
        Role.PROVIDER: router_keys.of("idva"),
        Role.SERVICE: router_keys.of("service"),
    }
    calls = _check(router_app, router, ROUTER_ROLES, "ROUTER_ROLES", keys)
    assert calls == 6 * len(endpoints(router_app))


def test_every_directory_endpoint_refuses_every_role_it_does_not_name(
    directory_app: FastAPI, directory: TestClient, directory_keys: Any
) -> None:
    keys = {
        Role.ADMIN: directory_keys.of("admin"),
        Role.REFERRER: directory_keys.of("referrer"),
        Role.PROVIDER: directory_keys.of("provider_a"),
        Role.SERVICE: directory_keys.of("service"),
    }
    calls = _check(directory_app, directory, DIRECTORY_ROLES, "DIRECTORY_ROLES", keys)
    assert calls == 6 * len(endpoints(directory_app))


def test_admin_only_endpoints_exist_in_both_services() -> None:
    """The tables are not vacuous: each service has admin-only endpoints to protect."""
    admin_only = {Role.ADMIN}
    assert sum(1 for roles in DIRECTORY_ROLES.values() if roles == admin_only) >= 8
    assert sum(1 for roles in ROUTER_ROLES.values() if roles == admin_only) >= 4
