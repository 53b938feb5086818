"""schemathesis against both services, in-process and authenticated, with every check that
applies (schemathesis.toml), and stateful runs along the OpenAPI links.

Each test fails on any failure schemathesis reports, and also when the run did not reach what it
is meant to cover (every operation; the linked chains ending in success), so a document that
silently stops describing an operation, or a link that leads nowhere, fails too.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.directory.helpers import Keys
from tests.faults import figures
from tests.router.api.helpers import Keys as RouterKeys
from tests.router.api.helpers import referral_body

from .conftest import LENGTHS, STATEFUL, UNIT_PHASES, load
from .runner import Outcome, run

PROVIDER = "idva"
"""The router test key of the provider running idva-cambridgeshire (tests/router/api/helpers)."""


def operations(app: FastAPI, tags: tuple[str, ...] = ()) -> set[str]:
    labels = set()
    for path, items in app.openapi()["paths"].items():
        for method, operation in items.items():
            if not tags or set(tags) & set(operation.get("tags", ())):
                labels.add(f"{method.upper()} {path}")
    return labels


def assert_clean(outcome: Outcome) -> None:
    # The figures for the README's "Proof under fire" (scripts/proof.sh), then the verdict.
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]
    figures.record(
        "contract",
        f"schemathesis {test}",
        requests=len(outcome.exchanges),
        operations=len({e.operation for e in outcome.exchanges}),
        failures=sum(outcome.failures.values()),
        seed=outcome.seed,
    )
    assert not outcome.failures, outcome.report()


def assert_every_operation_tried(outcome: Outcome, expected: set[str]) -> None:
    tried = {e.operation for e in outcome.exchanges}
    assert expected <= tried, f"never tried: {sorted(expected - tried)}"


def assert_reached(outcome: Outcome, operation: str, status: int) -> None:
    statuses = outcome.statuses(operation, "stateful")
    assert statuses[status] > 0, f"stateful never got {status} from {operation}: {statuses}"


def seed_handovers(app: FastAPI, keys: RouterKeys) -> None:
    """Referrals that hand over to idva-cambridgeshire (warm and signpost), so the provider's
    endpoints meet real handovers."""
    bodies: list[dict[str, Any]] = [
        referral_body(victim={"age": age, "consent_to_share": consent})
        for age in (19, 34, 52, 67)
        for consent in (True, False)
    ]
    with TestClient(app) as client:
        for body in bodies:
            response = client.post("/referrals", json=body, headers=keys.of("referrer"))
            assert response.status_code == 201, response.text
        listed = client.get("/handovers", headers=keys.of(PROVIDER)).json()["items"]
    assert listed, "the seed gave the provider no handovers"


# --------------------------------------------------------------------------- every operation


@LENGTHS
def test_directory_as_an_admin(
    directory_app: FastAPI,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    soak: bool,
) -> None:
    outcome = run(load(directory_app, keys.admin, monkeypatch, phases=UNIT_PHASES, soak=soak))
    assert_clean(outcome)
    assert_every_operation_tried(outcome, operations(directory_app))


@LENGTHS
def test_router_as_a_referrer(
    router_app: FastAPI,
    router_keys: RouterKeys,
    monkeypatch: pytest.MonkeyPatch,
    soak: bool,
) -> None:
    key = router_keys.keys["referrer"]
    outcome = run(load(router_app, key, monkeypatch, phases=UNIT_PHASES, soak=soak))
    assert_clean(outcome)
    assert_every_operation_tried(outcome, operations(router_app))


@LENGTHS
def test_router_handovers_as_their_provider(
    router_app: FastAPI,
    router_keys: RouterKeys,
    monkeypatch: pytest.MonkeyPatch,
    soak: bool,
) -> None:
    seed_handovers(router_app, router_keys)
    key = router_keys.keys[PROVIDER]
    outcome = run(
        load(router_app, key, monkeypatch, phases=UNIT_PHASES, tags=("handovers",), soak=soak)
    )
    assert_clean(outcome)
    assert_every_operation_tried(outcome, operations(router_app, ("handovers",)))
    assert outcome.statuses("GET /handovers")[200] > 0


# --------------------------------------------------------------------------- along the links


@LENGTHS
def test_directory_stateful_create_read_patch(
    directory_app: FastAPI,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    soak: bool,
) -> None:
    # Only the operations of the chain, so that every scenario walks it: a provider, a service
    # of that provider, read back, then changed with the ETag of the read as If-Match.
    chain = ("create_provider", "create_service", "get_service", "update_service")
    schema = load(
        directory_app, keys.admin, monkeypatch, phases=STATEFUL, operation_ids=chain, soak=soak
    )
    outcome = run(schema)
    assert_clean(outcome)
    assert_reached(outcome, "POST /services", 201)
    assert_reached(outcome, "GET /services/{service_id}", 200)
    # Only a link can give PATCH the ETag it needs as If-Match.
    assert_reached(outcome, "PATCH /services/{service_id}", 200)


@LENGTHS
def test_directory_stateful_everything(
    directory_app: FastAPI,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
    soak: bool,
) -> None:
    outcome = run(load(directory_app, keys.admin, monkeypatch, phases=STATEFUL, soak=soak))
    assert_clean(outcome)
    assert_reached(outcome, "POST /providers", 201)


@LENGTHS
def test_router_stateful_refer_read_reassess(
    router_app: FastAPI,
    router_keys: RouterKeys,
    monkeypatch: pytest.MonkeyPatch,
    soak: bool,
) -> None:
    key = router_keys.keys["referrer"]
    outcome = run(load(router_app, key, monkeypatch, phases=STATEFUL, soak=soak))
    assert_clean(outcome)
    assert_reached(outcome, "POST /referrals", 201)
    assert_reached(outcome, "GET /referrals/{referral_id}", 200)
    assert_reached(outcome, "POST /referrals/{referral_id}/assessments", 201)


@LENGTHS
def test_router_stateful_provider_actions(
    router_app: FastAPI,
    router_keys: RouterKeys,
    monkeypatch: pytest.MonkeyPatch,
    soak: bool,
) -> None:
    seed_handovers(router_app, router_keys)
    key = router_keys.keys[PROVIDER]
    outcome = run(
        load(router_app, key, monkeypatch, phases=STATEFUL, tags=("handovers",), soak=soak)
    )
    assert_clean(outcome)
    assert_reached(outcome, "GET /handovers/{handover_id}", 200)
    assert_reached(outcome, "POST /handovers/{handover_id}/accept", 200)
