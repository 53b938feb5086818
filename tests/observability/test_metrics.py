"""``GET /metrics`` on both services: HTTP metrics by route template (never an id), figures
that match the database, and who may read it. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from services.common.db import create_db_engine
from services.common.errors import PROBLEM_JSON
from services.directory.app import create_app as create_directory
from services.directory.metrics import DirectoryCollector
from services.directory.settings import DirectorySettings
from services.router.app import create_app as create_router
from services.router.settings import RouterSettings
from tests.directory.helpers import Keys as DirectoryKeys
from tests.directory.helpers import provider_body, service_body
from tests.router.api.fakes import FakeDirectory
from tests.router.api.helpers import Keys as RouterKeys
from tests.router.api.helpers import referral_body

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def samples(exposition: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(found: Samples, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def scrape(client: TestClient, headers: dict[str, str]) -> Samples:
    got = client.get("/metrics", headers=headers)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/plain")
    return samples(got.text)


@pytest.fixture
def router_client(
    router_settings: RouterSettings, fake_directory: FakeDirectory
) -> Iterator[TestClient]:
    fake_directory.document["version"] = "7"  # the directory's versions are numbers
    settings = router_settings.model_copy(update={"metrics_cache_seconds": 0.0})
    app = create_router(settings, directory_transport=fake_directory.transport())
    with TestClient(app) as client:
        yield client


@pytest.fixture
def directory_client(directory_settings: DirectorySettings) -> Iterator[TestClient]:
    settings = directory_settings.model_copy(update={"metrics_cache_seconds": 0.0})
    with TestClient(create_directory(settings)) as client:
        yield client


# --------------------------------------------------------------------------- the router


def _refer(client: TestClient, keys: RouterKeys) -> dict[str, Any]:
    got = client.post("/referrals", json=referral_body(), headers=keys.of("referrer"))
    assert got.status_code == 201, got.text
    body: dict[str, Any] = got.json()
    return body


def test_router_counts_requests_by_route_template_never_by_id(
    router_client: TestClient, router_keys: RouterKeys
) -> None:
    made = [_refer(router_client, router_keys) for _ in range(2)]
    for referral in made:
        got = router_client.get(f"/referrals/{referral['id']}", headers=router_keys.of("referrer"))
        assert got.status_code == 200
    missing = "00000000-0000-4000-8000-000000000000"
    got = router_client.get(f"/referrals/{missing}", headers=router_keys.of("admin"))
    assert got.status_code == 404
    router_client.get("/no/such/path/42")

    exposition = router_client.get("/metrics", headers=router_keys.of("admin")).text
    found = samples(exposition)
    requests = "pathways_http_requests_total"
    assert value(found, requests, method="POST", route="/referrals", status="201") == 2
    assert value(found, requests, method="GET", route="/referrals/{referral_id}", status="200") == 2
    assert value(found, requests, method="GET", route="/referrals/{referral_id}", status="404") == 1
    assert value(found, requests, method="GET", route="<unmatched>", status="404") == 1
    duration = "pathways_http_request_duration_seconds_count"
    assert value(found, duration, method="POST", route="/referrals", status="201") == 2
    # No id, and no path that was not a route, in any label.
    assert not UUID.search(exposition)
    assert "/no/such/path" not in exposition
    routes = {v for _name, labels in found for k, v in labels if k == "route"}
    assert routes <= {
        "/referrals",
        "/referrals/{referral_id}",
        "/metrics",
        "<unmatched>",
    }, routes


def _by_status(engine: Engine, table: str, where: str = "") -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT status, count(*) FROM {table} {where} GROUP BY status")
        ).all()
    return {status: count for status, count in rows}


def test_router_gauges_match_the_database(
    router_client: TestClient, router_keys: RouterKeys, router_engine: Engine
) -> None:
    empty = scrape(router_client, router_keys.of("service"))
    assert value(empty, "pathways_handovers", status="requested") == 0
    assert value(empty, "pathways_outbox_events", status="pending") == 0
    assert value(empty, "pathways_outbox_oldest_pending_age_seconds") == 0
    assert value(empty, "pathways_referrals_total", source_kind="police", risk_level="high") == 0

    referral = _refer(router_client, router_keys)
    self_referral = router_client.post(
        "/referrals",
        json=referral_body(source={"kind": "self", "reference": None}),
        headers=router_keys.of("referrer"),
    )
    assert self_referral.status_code == 201, self_referral.text
    idva = next(h for h in referral["plan"]["handovers"] if h["service_id"].startswith("idva"))
    accepted = router_client.post(f"/handovers/{idva['id']}/accept", headers=router_keys.of("idva"))
    assert accepted.status_code == 200, accepted.text

    found = scrape(router_client, router_keys.of("admin"))
    handovers = _by_status(router_engine, "handovers")
    assert handovers.get("accepted") == 1
    for status in ("proposed", "requested", "accepted", "in_progress"):
        assert value(found, "pathways_handovers", status=status) == handovers.get(status, 0)
    assert {dict(labels)["status"] for name, labels in found if name == "pathways_handovers"} == {
        "proposed",
        "requested",
        "accepted",
        "in_progress",
    }, "closed handovers are not counted: that would read every handover ever made"
    outbox = _by_status(router_engine, "outbox_events")
    assert outbox.get("pending", 0) > 0  # every service has a webhook; no worker runs here
    assert value(found, "pathways_outbox_events", status="pending") == outbox["pending"]
    assert value(found, "pathways_outbox_events", status="dead") == outbox.get("dead", 0)
    assert 0 <= value(found, "pathways_outbox_oldest_pending_age_seconds") < 600
    referrals = "pathways_referrals_total"
    assert value(found, referrals, source_kind="police", risk_level="high") == 1
    assert value(found, referrals, source_kind="self", risk_level="high") == 1
    assert value(found, referrals, source_kind="agency", risk_level="standard") == 0
    assert value(found, "pathways_metrics_database_up") == 1
    assert value(found, "pathways_directory_snapshot_version") == 7
    assert value(found, "pathways_directory_snapshot_stale") == 0
    assert 0 <= value(found, "pathways_directory_snapshot_age_seconds") < 600


def test_the_database_is_read_at_most_once_per_cache_interval(
    router_settings: RouterSettings,
    fake_directory: FakeDirectory,
    router_keys: RouterKeys,
) -> None:
    settings = router_settings.model_copy(update={"metrics_cache_seconds": 300.0})
    app = create_router(settings, directory_transport=fake_directory.transport())
    with TestClient(app) as client:
        before = scrape(client, router_keys.of("admin"))
        _refer(client, router_keys)
        after = scrape(client, router_keys.of("admin"))
    assert value(before, "pathways_referrals_total", source_kind="police", risk_level="high") == 0
    assert value(after, "pathways_referrals_total", source_kind="police", risk_level="high") == 0
    http = "pathways_http_requests_total"
    assert value(after, http, method="POST", route="/referrals", status="201") == 1


# --------------------------------------------------------------------------- the directory


def test_directory_gauges_match_the_database(
    directory_client: TestClient, directory_keys: DirectoryKeys, directory_engine: Engine
) -> None:
    admin = directory_keys.of("admin")
    assert directory_client.post("/providers", json=provider_body(), headers=admin).is_success
    for service_id, status in (("svc-a", "green"), ("svc-b", "red"), ("svc-c", "green")):
        body = service_body(service_id, capacity={"status": status, "available": 0, "maximum": 5})
        got = directory_client.post("/services", json=body, headers=admin)
        assert got.status_code == 201, got.text
    got = directory_client.get("/services/svc-a", headers=admin)
    assert got.status_code == 200

    exposition = directory_client.get("/metrics", headers=directory_keys.of("service")).text
    found = samples(exposition)
    services = "pathways_directory_services"
    assert value(found, services, capacity_status="green") == 2
    assert value(found, services, capacity_status="red") == 1
    assert value(found, services, capacity_status="amber") == 0
    assert value(found, "pathways_directory_services_capacity_stale") == 0
    with directory_engine.connect() as connection:
        version = connection.execute(text("SELECT version FROM directory_state")).scalar_one()
    assert value(found, "pathways_directory_version") == version
    requests = "pathways_http_requests_total"
    assert value(found, requests, method="POST", route="/services", status="201") == 3
    assert value(found, requests, method="GET", route="/services/{service_id}", status="200") == 1
    assert "svc-a" not in exposition


def test_a_database_that_cannot_be_read_is_reported_not_raised() -> None:
    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    registry = CollectorRegistry()
    registry.register(DirectoryCollector(engine=engine, cache_seconds=0))
    try:
        names = {m.name: m for m in registry.collect()}
    finally:
        engine.dispose()
    assert names["pathways_metrics_database_up"].samples[0].value == 0
    assert "pathways_directory_services" not in names


# --------------------------------------------------------------------------- who may read


def _check_access(client: TestClient, keys: Any, refused: str) -> None:
    for headers, status in (
        ({}, 401),
        ({"Authorization": "Bearer pwk_not-a-key"}, 401),
        (keys.of(refused), 403),
        (keys.of("admin"), 200),
        (keys.of("service"), 200),
    ):
        got = client.get("/metrics", headers=headers)
        assert got.status_code == status, (headers, got.text)
        if status != 200:
            assert got.headers["content-type"] == PROBLEM_JSON
            assert got.json()["status"] == status
        if status == 401:
            assert got.headers["www-authenticate"].startswith("Bearer")


def test_router_metrics_need_an_admin_or_service_key(
    router_client: TestClient, router_keys: RouterKeys
) -> None:
    _check_access(router_client, router_keys, refused="referrer")
    _check_access(router_client, router_keys, refused="idva")


def test_directory_metrics_need_an_admin_or_service_key(
    directory_client: TestClient, directory_keys: DirectoryKeys
) -> None:
    _check_access(directory_client, directory_keys, refused="provider_a")


def _public(app: FastAPI) -> None:
    with TestClient(app) as client:
        got = client.get("/metrics")
    assert got.status_code == 200
    assert "pathways_metrics_database_up 1.0" in got.text


def test_metrics_public_opens_the_routers_to_a_scraper_without_a_key(
    router_settings: RouterSettings, fake_directory: FakeDirectory
) -> None:
    settings = router_settings.model_copy(update={"metrics_public": True})
    _public(create_router(settings, directory_transport=fake_directory.transport()))


def test_metrics_public_opens_the_directorys_to_a_scraper_without_a_key(
    directory_settings: DirectorySettings,
) -> None:
    _public(create_directory(directory_settings.model_copy(update={"metrics_public": True})))


def test_metrics_are_left_out_of_the_openapi_document(
    router_app: FastAPI, directory_app: FastAPI
) -> None:
    for app in (router_app, directory_app):
        assert "/metrics" not in app.openapi()["paths"]


def test_two_apps_in_one_process_keep_their_own_counts(
    router_settings: RouterSettings, fake_directory: FakeDirectory, router_keys: RouterKeys
) -> None:
    apps = [create_router(router_settings, directory_transport=fake_directory.transport())]
    apps.append(create_router(router_settings, directory_transport=fake_directory.transport()))
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        for _ in range(3):
            first.get("/healthz")
        second.get("/healthz")
        counts = [
            value(
                scrape(client, router_keys.of("admin")),
                "pathways_http_requests_total",
                method="GET",
                route="/healthz",
                status="200",
            )
            for client in (first, second)
        ]
    assert counts == [3, 1]
