"""Object level access control (OWASP API1, BOLA), generated from the apps' route tables.

Referrer A sends referrals whose handovers go to provider A's services; referrer B, provider B
(on no case), a provider on the same case and the router's service key then try every endpoint
that takes an object id. Wherever their role may call the endpoint at all, another's object must
be a 404, told apart from a missing one by nothing (status, code, title); where their role may
not, it is the role's 403, again the same for any id. Nothing they try changes anything, while
the owners' own calls go through, so each 404 is about the object, not a broken request.

A route whose path names an object this module cannot make fails the test, saying where to
add it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from services.common.auth.schemas import Role
from tests.directory.helpers import Keys as DirectoryKeys
from tests.directory.helpers import provider_body, service_body
from tests.router.api.helpers import WHO, referral_body
from tests.router.api.helpers import Keys as RouterKeys

from .helpers import (
    DIRECTORY_BODIES,
    DIRECTORY_ROLES,
    ROUTER_BODIES,
    ROUTER_ROLES,
    Endpoint,
    add_to,
    body_for,
    endpoints,
    may,
)

THIS = "tests/security/test_object_level.py"

PROVIDER_A = "idva"  # idva-service: the lead, idva-cambridgeshire, in the referrals below
CO_PROVIDER = "housing"  # cambridge-city-council: on the same case, with a handover of its own
PROVIDER_B = "bobby"  # bobby-scheme: on no case here

ROUTER_STATE = (
    "referrals",
    "assessments",
    "handovers",
    "timeline_events",
    "outbox_events",
    "family_cases",
    "family_members",
)
DIRECTORY_STATE = ("providers", "services", "service_areas", "service_needs", "pathways")


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of object named in paths: an instance owned by someone, a missing one, and
    the principals to whom it belongs to someone else."""

    real: str
    missing: str
    others: tuple[str, ...]


def _state(engine: Engine, tables: tuple[str, ...]) -> dict[str, list[Any]]:
    with engine.connect() as connection:
        return {
            t: [tuple(row) for row in connection.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
            for t in tables
        }


def _answer(response: Any) -> tuple[int, str | None, str | None]:
    """What may differ between another's object and no object at all: nothing of this."""
    is_problem = response.headers.get("content-type", "").startswith("application/problem+json")
    doc = response.json() if is_problem else {}
    return response.status_code, doc.get("code"), doc.get("title")


def _object_routes(app: FastAPI, kinds: dict[str, Kind], table: str) -> list[Endpoint]:
    routes = [e for e in endpoints(app) if e.params]
    strange = sorted(f"{e} ({p})" for e in routes for p in e.params if p not in kinds)
    assert not strange, (
        f"these endpoints name objects the object-level tests cannot make: {strange}; "
        f"add the parameter to {table} in {THIS} (an object owned by one principal, a missing "
        "id, and who may not see it)"
    )
    return routes


def _check_others(
    *,
    client: TestClient,
    routes: list[Endpoint],
    kinds: dict[str, Kind],
    allowed: dict[tuple[str, str], frozenset[Role]],
    bodies: dict[tuple[str, str], Any],
    headers: Callable[[str], dict[str, str]],
    role_of: Callable[[str], Role],
    shared_reads: bool,
) -> tuple[list[str], int]:
    """Every other principal on every object route; the problems found, and the calls made."""
    problems: list[str] = []
    calls = 0
    for endpoint in routes:
        if endpoint.key not in allowed:
            problems.append(f"{endpoint}: no roles declared; {add_to('*_ROLES')}")
            continue
        body = body_for(bodies, endpoint)
        real = {p: kinds[p].real for p in endpoint.params}
        missing = {p: kinds[p].missing for p in endpoint.params}
        others = sorted({w for p in endpoint.params for w in kinds[p].others})
        for who in others:
            role = role_of(who)
            if not may(role, allowed[endpoint.key]):
                expected = 403
            elif shared_reads and endpoint.method == "GET":
                expected = 200  # the directory's reference data: every key reads it all
            else:
                expected = 404
            got = client.request(
                endpoint.method, endpoint.url(real), headers=headers(who), json=body
            )
            calls += 1
            if got.status_code != expected:
                problems.append(
                    f"{endpoint} as {who} ({role}) on another's object: {got.status_code}, "
                    f"expected {expected}: {got.text[:300]}"
                )
                continue
            if expected == 200:
                continue
            absent = client.request(
                endpoint.method, endpoint.url(missing), headers=headers(who), json=body
            )
            calls += 1
            if _answer(got) != _answer(absent):
                problems.append(
                    f"{endpoint} as {who}: another's object answers {_answer(got)} but a "
                    f"missing one {_answer(absent)}, so its existence leaks"
                )
    return problems, calls


# --------------------------------------------------------------------------- the router


def _outbox_event(engine: Engine, handover_id: str) -> str:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT id FROM outbox_events WHERE handover_id = :h ORDER BY created_at"),
            {"h": handover_id},
        ).first()
    assert found is not None, "no webhook event was queued for the handover"
    return str(found[0])


def test_another_referral_or_handover_is_a_404_on_every_router_endpoint(
    router: TestClient, router_app: FastAPI, router_keys: RouterKeys, router_engine: Engine
) -> None:
    def refer(who: str) -> dict[str, Any]:
        r = router.post("/referrals", json=referral_body(), headers=router_keys.of(who))
        assert r.status_code == 201, r.text
        return dict(r.json())

    mine = refer("referrer")
    theirs = refer("referrer_b")  # referrer B's own, to show its key works
    provider_a = WHO[PROVIDER_A][1]
    handover = next(h for h in mine["plan"]["handovers"] if h["provider_id"] == provider_a)
    assert any(h["provider_id"] == WHO[CO_PROVIDER][1] for h in mine["plan"]["handovers"])
    assert all(h["provider_id"] != WHO[PROVIDER_B][1] for h in mine["plan"]["handovers"])
    event_id = _outbox_event(router_engine, handover["id"])
    linked = router.post(
        f"/referrals/{mine['id']}/family",
        json=ROUTER_BODIES[("POST", "/referrals/{referral_id}/family")],
        headers=router_keys.of("referrer"),
    )
    assert linked.status_code == 201, linked.text
    kinds = {
        "referral_id": Kind(
            real=mine["id"],
            missing=str(uuid.uuid4()),
            others=("referrer_b", PROVIDER_B, "service"),
        ),
        "handover_id": Kind(
            real=handover["id"],
            missing=str(uuid.uuid4()),
            others=("referrer", "referrer_b", PROVIDER_B, CO_PROVIDER, "service"),
        ),
        "event_id": Kind(
            real=event_id,
            missing=f"msg_{uuid.uuid4().hex}",
            others=("referrer", "referrer_b", PROVIDER_A, PROVIDER_B, CO_PROVIDER, "service"),
        ),
        "case_id": Kind(
            real=linked.json()["case"]["id"],
            missing=str(uuid.uuid4()),
            others=("referrer_b", PROVIDER_B, "service"),
        ),
    }
    routes = _object_routes(router_app, kinds, "the kinds of test_another_referral_or_handover")
    before = _state(router_engine, ROUTER_STATE)

    problems, calls = _check_others(
        client=router,
        routes=routes,
        kinds=kinds,
        allowed=ROUTER_ROLES,
        bodies=ROUTER_BODIES,
        headers=router_keys.of,
        role_of=lambda who: WHO[who][0],
        shared_reads=False,
    )
    assert not problems, "\n".join(problems)
    assert calls >= 3 * len(routes)
    assert _state(router_engine, ROUTER_STATE) == before, "another's call changed something"

    # Nor does any listing show another's objects.
    for endpoint in endpoints(router_app):
        if endpoint.method != "GET" or endpoint.params:
            continue
        for who in ("referrer_b", PROVIDER_B):
            got = router.get(endpoint.path, headers=router_keys.of(who))
            for leaked in (mine["id"], handover["id"], event_id):
                assert leaked not in got.text, f"{endpoint} as {who} lists another's {leaked}"

    # The owners get through (reads first, then the actions, which change the case).
    owner = {
        "referral_id": "referrer",
        "handover_id": PROVIDER_A,
        "event_id": "admin",
        "case_id": "referrer",
    }
    assert router.get(f"/referrals/{theirs['id']}", headers=router_keys.of("referrer_b")).is_success
    for endpoint in sorted(routes, key=lambda e: (e.method != "GET", e.path)):
        who = owner[endpoint.params[0]]
        body = body_for(ROUTER_BODIES, endpoint)
        url = endpoint.url({p: kinds[p].real for p in endpoint.params})
        got = router.request(endpoint.method, url, headers=router_keys.of(who), json=body)
        assert got.status_code not in (401, 403, 404, 422), (
            f"{endpoint} as its owner {who}: {got.text}"
        )


# --------------------------------------------------------------------------- the directory


def test_another_providers_service_is_a_404_and_directory_reads_are_shared(
    directory: TestClient,
    directory_app: FastAPI,
    directory_keys: DirectoryKeys,
    directory_engine: Engine,
) -> None:
    admin = directory_keys.of("admin")
    for provider_id in ("prov-a", "prov-b"):
        r = directory.post("/providers", json=provider_body(provider_id), headers=admin)
        assert r.status_code == 201, r.text
    r = directory.post("/services", json=service_body("svc-a", "prov-a"), headers=admin)
    assert r.status_code == 201, r.text
    r = directory.post("/services", json=service_body("svc-b", "prov-b"), headers=admin)
    assert r.status_code == 201, r.text
    pathway = directory.post(
        "/pathways",
        json={"from_service": "entry:police", "to_service": "svc-a", "days": 1},
        headers=admin,
    )
    assert pathway.status_code == 201, pathway.text
    others = ("provider_b", "referrer", "service")
    kinds = {
        "provider_id": Kind(real="prov-a", missing="prov-nowhere", others=others),
        "service_id": Kind(real="svc-a", missing="svc-nowhere", others=others),
        "pathway_id": Kind(real=pathway.json()["id"], missing="pw-nowhere", others=others),
    }
    roles = {
        "admin": Role.ADMIN,
        "referrer": Role.REFERRER,
        "service": Role.SERVICE,
        "provider_a": Role.PROVIDER,
        "provider_b": Role.PROVIDER,
    }
    routes = _object_routes(directory_app, kinds, "the kinds of test_another_providers_service")
    before = _state(directory_engine, DIRECTORY_STATE)

    problems, _calls = _check_others(
        client=directory,
        routes=routes,
        kinds=kinds,
        allowed=DIRECTORY_ROLES,
        bodies=DIRECTORY_BODIES,
        headers=directory_keys.of,
        role_of=lambda who: roles[who],
        shared_reads=True,
    )
    assert not problems, "\n".join(problems)
    assert _state(directory_engine, DIRECTORY_STATE) == before, "another's call changed something"

    # Provider A sets its own service's capacity; provider B could not touch it.
    capacity = DIRECTORY_BODIES[("PUT", "/services/{service_id}/capacity")]
    mine = directory.put(
        "/services/svc-a/capacity", json=capacity, headers=directory_keys.of("provider_a")
    )
    assert mine.status_code == 200, mine.text
    assert directory.get("/services/svc-a", headers=admin).json()["capacity"]["status"] == "red"
