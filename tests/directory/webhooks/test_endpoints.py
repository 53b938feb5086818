"""GET /webhook-targets: URLs and secrets for the router's service key and admins, nobody else."""

from __future__ import annotations

import pytest

from ..helpers import Api, assert_problem

SECRET_A = "whsec_" + "A" * 43 + "="
SECRET_C = "whsec_" + "C" * 43 + "="


@pytest.fixture
def directory(api: Api) -> None:
    api.create_provider()
    api.create_provider("prov-b")
    api.create_service("svc-a", webhook={"url": "https://hooks.example.org/a", "secret": SECRET_A})
    api.create_service("svc-b")  # no webhook: its provider polls
    api.create_service(
        "svc-c", "prov-b", webhook={"url": "https://b.example.net/hook", "secret": SECRET_C}
    )


@pytest.mark.parametrize("who", ["service", "admin"])
def test_the_router_and_admins_get_every_target_with_its_secret(
    api: Api, directory: None, who: str
) -> None:
    r = api.get("/webhook-targets", who)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["targets"] == [
        {
            "service_id": "svc-a",
            "provider_id": "prov-a",
            "url": "https://hooks.example.org/a",
            "secret": SECRET_A,
        },
        {
            "service_id": "svc-c",
            "provider_id": "prov-b",
            "url": "https://b.example.net/hook",
            "secret": SECRET_C,
        },
    ]
    assert body["version"] == int(api.get("/snapshot", "service").headers["x-directory-version"])
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["vary"] == "Authorization"


@pytest.mark.parametrize("who", ["provider_a", "provider_b", "referrer"])
def test_other_roles_are_refused_and_see_no_secret(api: Api, directory: None, who: str) -> None:
    r = api.get("/webhook-targets", who)
    assert_problem(r, 403, "forbidden")
    assert "whsec_" not in r.text and "example" not in r.text
    assert "etag" not in r.headers


def test_no_key_is_401(api: Api, directory: None) -> None:
    r = api.client.get("/webhook-targets")
    assert_problem(r, 401, "unauthorized")
    assert "whsec_" not in r.text


def test_if_none_match_gives_304_while_nothing_changes(api: Api, directory: None) -> None:
    first = api.get("/webhook-targets", "service")
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = api.get("/webhook-targets", "service", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = api.get("/webhook-targets", "service", headers={"If-None-Match": '"t1-0-nope"'})
    assert other.status_code == 200 and other.json() == first.json()


def _patch_webhook(api: Api, service_id: str, webhook: dict[str, str] | None) -> None:
    etag = api.get(f"/services/{service_id}").headers["etag"]
    r = api.client.patch(
        f"/services/{service_id}",
        json={"webhook": webhook},
        headers={**api.as_("admin"), "If-Match": etag},
    )
    assert r.status_code == 200, r.text


def test_a_changed_or_removed_webhook_changes_the_etag_and_the_targets(
    api: Api, directory: None
) -> None:
    etag = api.get("/webhook-targets", "service").headers["etag"]
    _patch_webhook(api, "svc-a", {"url": "https://hooks.example.org/new", "secret": SECRET_C})
    changed = api.get("/webhook-targets", "service", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["targets"][0] == {
        "service_id": "svc-a",
        "provider_id": "prov-a",
        "url": "https://hooks.example.org/new",
        "secret": SECRET_C,
    }
    _patch_webhook(api, "svc-a", None)
    removed = api.get("/webhook-targets", "service", headers={"If-None-Match": etag})
    assert [t["service_id"] for t in removed.json()["targets"]] == ["svc-c"]


def test_an_empty_directory_has_no_targets(api: Api) -> None:
    r = api.get("/webhook-targets", "service")
    assert r.status_code == 200
    assert r.json()["targets"] == []
