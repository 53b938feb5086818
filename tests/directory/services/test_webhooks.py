"""Webhook URLs: https only; http to loopback alone, and only when development allows it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.directory.app import create_app
from services.directory.services.webhooks import generate_secret, url_problem
from services.directory.settings import DirectorySettings

from ..helpers import Api, Keys, assert_problem, provider_body, service_body


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/pathways",
        "https://hooks.example.org:8443/p?x=1",
        "https://[2606:4700::1111]/hook",  # public (2001:db8::/32 is documentation-only)
    ],
)
def test_https_urls_are_accepted(url: str) -> None:
    assert url_problem(url, allow_insecure=False) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.org/x", "https"),
        ("http://127.0.0.1:9000/x", "https"),
        ("ftp://hooks.example.org/x", "https"),
        ("hooks.example.org/x", "https"),
        ("https://", "host"),
        ("https://user:pass@hooks.example.org/x", "password"),
        ("https://hooks.example.org/x#frag", "fragment"),
        ("https://hooks.example.org:99999/x", "valid"),
        ("https://hooks.example.org/a b", "ASCII"),
        ("https://hööks.example.org/", "punycode"),
        ("https://[::1/x", "valid"),
    ],
)
def test_other_urls_are_refused_with_a_reason(url: str, why: str) -> None:
    problem = url_problem(url, allow_insecure=False)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/x", "http://localhost/x", "http://[::1]:8080/x", "http://127.8.9.1/"],
)
def test_development_allows_http_to_loopback_only(url: str) -> None:
    assert url_problem(url, allow_insecure=True) is None
    assert url_problem(url.replace("http:", "https:"), allow_insecure=True) is None


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5/x", "http://hooks.example.org/x", "http://0.0.0.0/"]
)
def test_development_still_refuses_http_elsewhere(url: str) -> None:
    problem = url_problem(url, allow_insecure=True)
    assert problem is not None and "loopback" in problem


def test_generated_secrets_follow_standard_webhooks() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_") and len(secret) > 40
    assert generate_secret() != secret


def test_the_api_refuses_an_http_webhook_by_default(api: Api) -> None:
    api.create_provider()
    body = service_body(webhook={"url": "http://127.0.0.1:9000/hook"})
    doc = assert_problem(api.client.post("/services", json=body, headers=api.as_("admin")), 422)
    assert doc["errors"][0]["loc"] == ["body", "webhook", "url"]


def test_the_api_allows_loopback_http_when_development_says_so(
    settings: DirectorySettings, keys: Keys
) -> None:
    app = create_app(settings.model_copy(update={"allow_insecure_webhooks": True}))
    admin = keys.of("admin")
    with TestClient(app) as client:
        assert client.post("/providers", json=provider_body(), headers=admin).status_code == 201
        ok = service_body(webhook={"url": "http://127.0.0.1:9000/hook"})
        assert client.post("/services", json=ok, headers=admin).status_code == 201
        remote = service_body("svc-b", webhook={"url": "http://hooks.example.org/hook"})
        assert_problem(client.post("/services", json=remote, headers=admin), 422)


def test_production_refuses_the_development_setting() -> None:
    with pytest.raises(ValueError, match="must not be set in production"):
        DirectorySettings(environment="production", allow_insecure_webhooks=True)
