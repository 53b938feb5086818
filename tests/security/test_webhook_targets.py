"""Webhook targets (OWASP API7, SSRF): https only in production; no loopback, private,
link-local or otherwise non-public address unless a development setting allows it; no
redirect followed.

Checked twice, as the services do: the directory refuses such URLs when a service is created or
changed, and the router's delivery guard refuses them again at every attempt, after resolving
the host (an injected resolver, and ``httpx.MockTransport`` standing in for the network), so
that a name that later resolves somewhere internal is still stopped.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from services.common.settings import Environment
from services.directory.app import create_app as create_directory
from services.directory.settings import DirectorySettings
from services.router.outbox.delivery import Deliverer, system_resolver
from services.router.outbox.schemas import OutboxStatus
from services.router.settings import RouterSettings
from tests.directory.helpers import Keys as DirectoryKeys
from tests.directory.helpers import provider_body, service_body
from tests.router.outbox.helpers import (
    PUBLIC_ADDRESS,
    FakeClock,
    Receiver,
    add_events,
    add_target,
    event,
)

NEVER = [
    "http://hooks.example.org/h",  # not https
    "ftp://hooks.example.org/h",
    "https://user:pw@hooks.example.org/h",
    "https://10.0.0.5/h",  # private
    "https://172.16.0.1/h",
    "https://192.168.1.10/h",
    "https://[fc00::1]/h",
    "https://[::ffff:10.0.0.1]/h",  # private, inside IPv6
    "https://169.254.169.254/latest/meta-data",  # link-local: cloud metadata
    "https://[fe80::1]/h",
    "https://100.64.0.1/h",  # shared address space
    "https://0.0.0.0/h",
    "https://224.0.0.1/h",
    "http://10.0.0.5/h",
]
"""Refused whatever the settings."""

LOOPBACK = [
    "https://127.0.0.1/h",
    "https://[::1]:8443/h",
    "https://localhost/h",
    "https://hooks.localhost/h",
    "https://[::ffff:127.0.0.1]/h",
    "https://2130706433/h",  # 127.0.0.1, as resolvers read it
    "https://0x7f.1/h",
    "https://0177.0.0.1/h",
    "http://127.0.0.1:9000/h",
]
"""Refused unless the development setting allows loopback."""

PUBLIC = [
    "https://hooks.example.org/h",
    f"https://{PUBLIC_ADDRESS}/h",
    "https://[2606:4700::1111]/h",
]


# --------------------------------------------------------------------------- the directory


def _directory(settings: DirectorySettings, keys: DirectoryKeys) -> Iterator[TestClient]:
    with TestClient(create_directory(settings)) as client:
        admin = keys.of("admin")
        assert client.post("/providers", json=provider_body("prov-a"), headers=admin).is_success
        yield client


def _try(client: TestClient, keys: DirectoryKeys, url: str, n: int) -> tuple[int, int, Any]:
    """Create a service with ``url`` as its webhook, and change svc-a's to it."""
    admin = keys.of("admin")
    created = client.post(
        "/services", json=service_body(f"svc-{n}", webhook={"url": url}), headers=admin
    )
    current = client.get("/services/svc-a", headers=admin)
    changed = client.patch(
        "/services/svc-a",
        json={"webhook": {"url": url}},
        headers={**admin, "If-Match": current.headers["etag"]},
    )
    for answer in (created, changed):
        if answer.status_code == 422:
            assert answer.json()["errors"][0]["loc"] == ["body", "webhook", "url"], answer.text
    return created.status_code, changed.status_code, created


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_directory_refuses_unsafe_webhook_urls_on_create_and_change(
    directory_settings: DirectorySettings, directory_keys: DirectoryKeys, environment: str
) -> None:
    settings = DirectorySettings(
        **{**directory_settings.model_dump(), "environment": Environment(environment)}
    )
    assert not settings.allow_insecure_webhooks
    for client in _directory(settings, directory_keys):
        admin = directory_keys.of("admin")
        good = {"url": "https://hooks.example.org/svc-a"}
        made = client.post("/services", json=service_body("svc-a", webhook=good), headers=admin)
        assert made.status_code == 201, made.text
        wrong = [
            f"{url}: {got}"
            for n, url in enumerate(NEVER + LOOPBACK)
            if (got := _try(client, directory_keys, url, n)[:2]) != (422, 422)
        ]
        assert not wrong, "accepted: " + "; ".join(wrong)
        # Nothing was stored: no new service, svc-a's webhook as it was.
        listed = client.get("/services", headers=admin).json()["items"]
        assert [s["id"] for s in listed] == ["svc-a"]
        assert listed[0]["webhook"]["url"] == good["url"]
        right = [
            url
            for n, url in enumerate(PUBLIC, start=100)
            if _try(client, directory_keys, url, n)[:2] != (201, 200)
        ]
        assert not right, f"refused public https URLs: {right}"


def test_the_development_setting_lets_loopback_through_and_nothing_else(
    directory_settings: DirectorySettings, directory_keys: DirectoryKeys
) -> None:
    settings = directory_settings.model_copy(update={"allow_insecure_webhooks": True})
    for client in _directory(settings, directory_keys):
        made = client.post(
            "/services",
            json=service_body("svc-a", webhook={"url": PUBLIC[0]}),
            headers=directory_keys.of("admin"),
        )
        assert made.status_code == 201, made.text
        refused = [
            u for n, u in enumerate(NEVER) if _try(client, directory_keys, u, n)[:2] != (422, 422)
        ]
        assert not refused, f"accepted in development: {refused}"
        allowed = [
            u
            for n, u in enumerate(LOOPBACK, start=100)
            if _try(client, directory_keys, u, n)[:2] != (201, 200)
        ]
        assert not allowed, f"loopback refused in development: {allowed}"


def test_production_refuses_the_development_settings() -> None:
    with pytest.raises(ValueError, match="must not be set in production"):
        DirectorySettings(environment=Environment.PRODUCTION, allow_insecure_webhooks=True)
    for unsafe in ("allow_insecure_webhooks", "allow_private_webhook_targets"):
        with pytest.raises(ValueError, match="must not be set in production"):
            RouterSettings(
                environment=Environment.PRODUCTION,
                directory_api_key="k",  # type: ignore[arg-type]
                **{unsafe: True},
            )


# --------------------------------------------------------------------------- the router

ANSWERS = {
    "hooks.example.org": [PUBLIC_ADDRESS],
    "internal.example.org": ["10.0.0.5"],
    "metadata.example.org": ["169.254.169.254"],
    "mixed.example.org": [PUBLIC_ADDRESS, "127.0.0.1"],
    "mapped.example.org": ["::ffff:192.168.0.1"],
    "rebound.example.org": ["fd00::5"],
    "localhost": ["127.0.0.1", "::1"],
}


NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$")


def _resolve(host: str, port: int) -> list[str]:
    """Names from ``ANSWERS``; the numeric forms that resolvers read as addresses (no DNS)."""
    if host in ANSWERS:
        return ANSWERS[host]
    assert NUMERIC_HOST.match(host), f"{host}: the tests look up no real names"
    return system_resolver(host, port)  # a number: the resolver reads it without asking DNS


ROUTER_NEVER = [
    "http://hooks.example.org/h",
    "https://internal.example.org/h",
    "https://metadata.example.org/latest/meta-data",
    "https://mixed.example.org/h",
    "https://mapped.example.org/h",
    "https://rebound.example.org/h",
    "https://10.0.0.5/h",
    "https://[fe80::1]/h",
    "https://user:pw@hooks.example.org/h",
]
ROUTER_LOOPBACK = [
    "https://127.0.0.1/h",
    "https://[::1]/h",
    "https://localhost/h",
    "https://2130706433/h",
    "https://0x7f.1/h",
    "http://127.0.0.1:9000/h",
]


def _deliver(
    settings: RouterSettings, engine: Engine, urls: list[str], receiver: Receiver
) -> dict[str, Any]:
    """One event for each URL (plus a public control), one delivery round; each URL's event."""
    clock = FakeClock()
    events: dict[str, str] = {}
    for n, url in enumerate([*urls, "https://hooks.example.org/control"]):
        add_target(engine, f"svc-{n}", url=url, provider_id=f"prov-{n}")
        [events[url]] = add_events(
            engine, now=clock(), service_id=f"svc-{n}", provider_id=f"prov-{n}"
        )
    deliverer = Deliverer(
        settings=settings,
        engine=engine,
        name="security",
        transport=receiver.transport,
        clock=clock,
        resolve=_resolve,
        rng=random.Random(7),
        batch_size=100,
    )
    try:
        deliverer.run()
    finally:
        deliverer.close()
    return {url: event(engine, event_id) for url, event_id in events.items()}


def test_the_router_sends_nothing_to_an_unsafe_target(
    router_settings: RouterSettings, router_engine: Engine
) -> None:
    receiver = Receiver()
    assert not router_settings.allow_private_webhook_targets
    outcome = _deliver(router_settings, router_engine, ROUTER_NEVER + ROUTER_LOOPBACK, receiver)
    # Only the control went out, to the public address it was checked at.
    assert [s.url for s in receiver.seen] == [f"https://{PUBLIC_ADDRESS}/control"]
    assert outcome.pop("https://hooks.example.org/control").status == OutboxStatus.DELIVERED
    for url, row in outcome.items():
        assert row.status == OutboxStatus.PENDING and row.delivered_at is None, url
        assert row.last_status_code is None, url
        assert row.last_error and ("refused" in row.last_error or "must not" in row.last_error), (
            url,
            row.last_error,
        )


def test_in_production_only_https_to_public_addresses_goes_out(
    router_settings: RouterSettings, router_engine: Engine
) -> None:
    production = RouterSettings(
        router_database_url=router_settings.router_database_url,
        environment=Environment.PRODUCTION,
        directory_api_key="directory-service-key",  # type: ignore[arg-type]
        run_worker=False,
    )
    assert not production.allow_private_webhook_targets
    assert not production.allow_insecure_webhooks
    receiver = Receiver()
    outcome = _deliver(
        production, router_engine, ["http://127.0.0.1:9000/h", *ROUTER_NEVER], receiver
    )
    assert [s.url for s in receiver.seen] == [f"https://{PUBLIC_ADDRESS}/control"]
    assert all(
        row.status == OutboxStatus.PENDING for url, row in outcome.items() if "control" not in url
    )


def test_the_development_setting_lets_private_targets_through(
    router_settings: RouterSettings, router_engine: Engine
) -> None:
    """The control for the two tests above: with the setting, the same targets are sent to."""
    allowed = router_settings.model_copy(update={"allow_private_webhook_targets": True})
    receiver = Receiver()
    targets = ["https://internal.example.org/h", "https://127.0.0.1/h", "http://127.0.0.1:9000/h"]
    outcome = _deliver(allowed, router_engine, targets, receiver)
    assert sorted(s.url for s in receiver.seen) == sorted(
        [
            "https://10.0.0.5/h",
            "https://127.0.0.1/h",
            "http://127.0.0.1:9000/h",
            f"https://{PUBLIC_ADDRESS}/control",
        ]
    )
    assert all(row.status == OutboxStatus.DELIVERED for row in outcome.values())


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(
    router_settings: RouterSettings, router_engine: Engine, status: int
) -> None:
    receiver = Receiver(script=[(status, {"Location": "https://169.254.169.254/latest/meta-data"})])
    outcome = _deliver(router_settings, router_engine, [], receiver)
    [row] = outcome.values()
    assert [s.url for s in receiver.seen] == [f"https://{PUBLIC_ADDRESS}/control"]
    assert row.status == OutboxStatus.PENDING and row.last_status_code == status
    assert row.last_error and "redirect" in row.last_error
