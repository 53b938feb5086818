"""Property level access control (OWASP API3), generated from the apps' route tables.

Webhook URLs and secrets and API key hashes exist in both services; no response to anyone but
an admin may contain one. Every endpoint is called as every other role and without a key, with
real ids and valid bodies, and the raw text of every answer, refusals included, is searched for
the actual values. The one designed exception, the directory's ``GET /webhook-targets`` for
the router's ``service`` key, is declared below and checked to be what it says.

In signpost mode no personal data reaches a provider: nothing a provider on a signpost case can
call answers with the victim's details, and no webhook payload carries any, in either mode.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from graph.payload import PERSONAL_KEYS
from services.common.auth.schemas import Role
from tests.directory.helpers import Keys as DirectoryKeys
from tests.directory.helpers import provider_body, service_body
from tests.router.api.fakes import FakeDirectory
from tests.router.api.helpers import WHO, referral_body
from tests.router.api.helpers import Keys as RouterKeys

from .helpers import (
    DIRECTORY_BODIES,
    DIRECTORY_ROLES,
    DOCS,
    HOOK_SECRET,
    HOOK_URL,
    ROUTER_BODIES,
    ROUTER_ROLES,
    SECRET_PREFIX,
    Endpoint,
    body_for,
    endpoints,
)

DESIGNED_EXCEPTIONS = {("GET", "/webhook-targets", Role.SERVICE)}
"""The router's ``service`` key reads every webhook URL and secret: it signs the deliveries."""

SAFE_TIMES = "SENTINEL-safe-times-7731"
REFERENCE = "SENTINEL/REF/7731"
PERSONAL_BLOCKS = frozenset({"victim", "incident", "shared", "contact", "safe_times", "reference"})
"""Keys whose values are a victim's details: in an answer to a signpost's provider, each must be
empty wherever it appears."""

WEBHOOK_DATA = {
    "handover_id",
    "referral_id",
    "service_id",
    "status",
    "mode",
    "needs",
    "respond_by",
    "reason",
}
"""What a webhook may tell a provider (flows.webhook_data, and a cancellation's reason)."""


def _secrets(values: Mapping[str, Iterable[str]], endpoint: Endpoint, body: str) -> list[str]:
    """The values found in ``body`` (the documentation may name the secrets' prefix)."""
    return [
        f"{what} {v!r}"
        for what, found in values.items()
        for v in found
        if v in body and not (v == SECRET_PREFIX and endpoint.key in DOCS)
    ]


def _ordered(routes: list[Endpoint]) -> list[Endpoint]:
    """Reads first, then writes, deletes last: the crawl sees everything before it changes."""
    rank = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}
    return sorted(routes, key=lambda e: (rank[e.method], e.path))


def _crawl(
    *,
    client: TestClient,
    app: FastAPI,
    bodies: dict[tuple[str, str], Any],
    ids: dict[str, str],
    who: dict[str, tuple[Role | None, dict[str, str]]],
) -> Iterable[tuple[Endpoint, str, Role | None, Any]]:
    """Every endpoint as every caller in ``who``, with real ids and valid bodies."""
    for endpoint in _ordered(endpoints(app)):
        unknown = [p for p in endpoint.params if p not in ids]
        assert not unknown, f"{endpoint}: the crawl has no id for {unknown}; add one"
        body = body_for(bodies, endpoint)
        for name, (role, headers) in who.items():
            got = client.request(endpoint.method, endpoint.url(ids), headers=headers, json=body)
            yield endpoint, name, role, got


# --------------------------------------------------------------------------- the directory


def test_no_directory_answer_to_a_non_admin_shows_a_webhook_or_a_key_hash(
    directory: TestClient,
    directory_app: FastAPI,
    directory_keys: DirectoryKeys,
    directory_engine: Engine,
) -> None:
    admin = directory_keys.of("admin")
    for provider_id in ("prov-a", "prov-b"):
        assert directory.post(
            "/providers", json=provider_body(provider_id), headers=admin
        ).is_success
    hook_a = {"url": f"{HOOK_URL}/svc-a", "secret": HOOK_SECRET}
    hook_b = {"url": f"{HOOK_URL}/svc-b"}  # the directory makes the secret
    made = directory.post(
        "/services", json=service_body("svc-a", "prov-a", webhook=hook_a), headers=admin
    )
    assert made.status_code == 201, made.text
    made = directory.post(
        "/services", json=service_body("svc-b", "prov-b", webhook=hook_b), headers=admin
    )
    assert made.status_code == 201, made.text
    generated = made.json()["webhook"]["secret"]
    pathway = directory.post(
        "/pathways",
        json={"from_service": "entry:police", "to_service": "svc-a", "days": 1},
        headers=admin,
    )
    assert pathway.status_code == 201, pathway.text
    with directory_engine.connect() as connection:
        hashes = [str(h) for (h,) in connection.execute(text("SELECT key_hash FROM api_keys"))]
    assert len(hashes) == 5
    values = {
        "webhook URL": [hook_a["url"], hook_b["url"]],
        "webhook secret": [HOOK_SECRET, generated, SECRET_PREFIX],
        "key hash": hashes,
    }
    # The search finds them where they are meant to be: an admin's view.
    shown = directory.get("/services/svc-a", headers=admin).text
    assert hook_a["url"] in shown and HOOK_SECRET in shown

    who: dict[str, tuple[Role | None, dict[str, str]]] = {
        "no key": (None, {}),
        "referrer": (Role.REFERRER, directory_keys.of("referrer")),
        "service": (Role.SERVICE, directory_keys.of("service")),
        "provider_a": (Role.PROVIDER, directory_keys.of("provider_a")),
        "provider_b": (Role.PROVIDER, directory_keys.of("provider_b")),
    }
    ids = {"provider_id": "prov-a", "service_id": "svc-a", "pathway_id": pathway.json()["id"]}
    leaks: list[str] = []
    answered = 0
    for endpoint, name, role, got in _crawl(
        client=directory, app=directory_app, bodies=DIRECTORY_BODIES, ids=ids, who=who
    ):
        found = _secrets(values, endpoint, got.text)
        if (endpoint.method, endpoint.path, role) in DESIGNED_EXCEPTIONS:
            assert got.status_code == 200 and hook_a["url"] in got.text, got.text
            assert got.headers["cache-control"] == "no-store"
            continue
        answered += got.is_success
        if found:
            leaks.append(f"{endpoint} as {name} ({got.status_code}) shows {found}")
    assert not leaks, "\n".join(leaks)
    assert answered >= 40  # the crawl read real things, not just refusals
    assert set(DIRECTORY_ROLES) >= {(e.method, e.path) for e in endpoints(directory_app)}


# --------------------------------------------------------------------------- the router


def _wait_for_targets(engine: Engine, count: int) -> None:
    """The router copies the webhook targets from the directory on a writer thread."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            have = connection.execute(text("SELECT count(*) FROM webhook_targets")).scalar_one()
        if have == count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the router kept {have} webhook targets, not {count}")


def _sensitive_referral(**victim: Any) -> dict[str, Any]:
    contact = {"channels": ["phone"], "safe_times": SAFE_TIMES, "do_not_contact": False}
    return referral_body(source={"reference": REFERENCE}, victim={"contact": contact, **victim})


def _filled(value: Any, keys: frozenset[str]) -> Iterable[str]:
    """The keys among ``keys`` that hold something, anywhere in a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and v:
                yield f"{k}: {json.dumps(v)[:80]}"
            yield from _filled(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from _filled(v, keys)


def _personal(body: str) -> list[str]:
    """The victim's details found in an answer: the sentinels, or any filled personal block."""
    found = [v for v in (SAFE_TIMES, REFERENCE) if v in body]
    try:
        document = json.loads(body)
    except ValueError:
        return found
    return found + list(_filled(document, PERSONAL_BLOCKS))


def _refer(client: TestClient, keys: RouterKeys, who: str, body: dict[str, Any]) -> dict[str, Any]:
    made = client.post("/referrals", json=body, headers=keys.of(who))
    assert made.status_code == 201, made.text
    return dict(made.json())


def _family_case(client: TestClient, keys: RouterKeys, referral: dict[str, Any]) -> str:
    """The id of a family case the referral is in (a child referred with it)."""
    linked = client.post(
        f"/referrals/{referral['id']}/family",
        json=ROUTER_BODIES[("POST", "/referrals/{referral_id}/family")],
        headers=keys.of("referrer"),
    )
    assert linked.status_code == 201, linked.text
    return str(linked.json()["case"]["id"])


def _handover_of(referral: dict[str, Any], who: str) -> dict[str, Any]:
    return dict(next(h for h in referral["plan"]["handovers"] if h["provider_id"] == WHO[who][1]))


def test_no_router_answer_to_a_non_admin_shows_a_webhook_or_a_key_hash(
    router: TestClient,
    router_app: FastAPI,
    router_keys: RouterKeys,
    router_engine: Engine,
    fake_directory: FakeDirectory,
) -> None:
    warm = _refer(router, router_keys, "referrer", _sensitive_referral(consent_to_share=True))
    _refer(router, router_keys, "referrer", _sensitive_referral(consent_to_share=False))
    _refer(router, router_keys, "referrer_b", referral_body())
    _wait_for_targets(router_engine, len(fake_directory.targets))
    with router_engine.connect() as connection:
        hashes = [str(h) for (h,) in connection.execute(text("SELECT key_hash FROM api_keys"))]
        event_id = connection.execute(text("SELECT id FROM outbox_events LIMIT 1")).scalar_one()
    values = {
        "webhook URL": [t["url"] for t in fake_directory.targets] + [HOOK_URL],
        "webhook secret": [HOOK_SECRET, SECRET_PREFIX],
        "key hash": hashes,
    }
    assert len(hashes) == len(WHO)
    handover = _handover_of(warm, "idva")
    ids = {
        "referral_id": warm["id"],
        "handover_id": handover["id"],
        "event_id": str(event_id),
        "case_id": _family_case(router, router_keys, warm),
    }
    who = {name: (WHO[name][0], router_keys.of(name)) for name in WHO if name != "admin"}
    leaks: list[str] = []
    answered = 0
    for endpoint, name, _role, got in _crawl(
        client=router,
        app=router_app,
        bodies=ROUTER_BODIES,
        ids=ids,
        who={"no key": (None, {}), **who},
    ):
        answered += got.is_success
        found = _secrets(values, endpoint, got.text)
        if found:
            leaks.append(f"{endpoint} as {name} ({got.status_code}) shows {found}")
    assert not leaks, "\n".join(leaks)
    assert answered >= 20
    assert set(ROUTER_ROLES) >= {(e.method, e.path) for e in endpoints(router_app)}


def test_a_signpost_provider_learns_nothing_personal_from_any_endpoint(
    router: TestClient, router_app: FastAPI, router_keys: RouterKeys
) -> None:
    warm = _refer(router, router_keys, "referrer", _sensitive_referral(consent_to_share=True))
    signpost = _refer(router, router_keys, "referrer", _sensitive_referral(consent_to_share=False))
    assert signpost["plan"]["mode"] == "signpost"
    # The search finds the victim's details where consent lets them go: a warm handover.
    shared = router.get(
        f"/handovers/{_handover_of(warm, 'idva')['id']}", headers=router_keys.of("idva")
    )
    assert SAFE_TIMES in shared.text and REFERENCE in shared.text
    case_id = _family_case(router, router_keys, signpost)

    for provider in ("idva", "housing"):  # the lead, and a supporting service
        mine = _handover_of(signpost, provider)
        assert mine["mode"] == "signpost"
        detail = router.get(f"/handovers/{mine['id']}", headers=router_keys.of(provider))
        assert detail.status_code == 200 and detail.json()["shared"] is None, detail.text
        ids = {
            "referral_id": signpost["id"],
            "handover_id": mine["id"],
            "event_id": "msg_none",
            "case_id": case_id,
        }
        leaks: list[str] = []
        reached = 0
        for endpoint, _name, _role, got in _crawl(
            client=router,
            app=router_app,
            bodies=ROUTER_BODIES,
            ids=ids,
            who={provider: (Role.PROVIDER, router_keys.of(provider))},
        ):
            reached += got.is_success
            if endpoint.key in DOCS:
                continue
            found = _personal(got.text)
            if found:
                leaks.append(f"{endpoint} as {provider} ({got.status_code}) shows {found}")
        assert not leaks, "\n".join(leaks)
        assert reached >= 3  # its handover, its list, its actions


def _walk_keys(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _walk_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_keys(v)


def test_no_webhook_payload_carries_personal_data_in_either_mode(
    router: TestClient, router_keys: RouterKeys, router_engine: Engine
) -> None:
    def act(handover_id: str, action: str, who: str, body: Any = None) -> Any:
        return router.post(
            f"/handovers/{handover_id}/{action}", json=body, headers=router_keys.of(who)
        )

    assessment = {**referral_body()["assessment"], "needs": {"domestic_abuse_advocacy": 3}}
    for consent in (True, False):
        r = _refer(router, router_keys, "referrer", _sensitive_referral(consent_to_share=consent))
        idva = _handover_of(r, "idva")["id"]
        housing = _handover_of(r, "housing")["id"]
        assert act(idva, "accept", "idva").status_code == 200
        reassessed = router.post(
            f"/referrals/{r['id']}/assessments", json=assessment, headers=router_keys.of("referrer")
        )
        assert reassessed.status_code == 201, reassessed.text
        act(housing, "decline", "housing", {"reason": "no rooms"})
    with router_engine.connect() as connection:
        payloads = [
            json.loads(p) if isinstance(p, str) else p
            for (p,) in connection.execute(text("SELECT payload FROM outbox_events"))
        ]
    assert {p["data"]["mode"] for p in payloads} == {"warm", "signpost"}
    assert len({p["type"] for p in payloads}) >= 2, [p["type"] for p in payloads]
    for payload in payloads:
        raw = json.dumps(payload)
        assert not _personal(raw), raw
        assert set(payload["data"]) <= WEBHOOK_DATA, payload
        assert not set(_walk_keys(payload)) & PERSONAL_KEYS, payload
