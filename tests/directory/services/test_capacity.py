"""PUT /services/{id}/capacity: admins and the provider that runs the service."""

from __future__ import annotations

import datetime as dt

import pytest

from ..helpers import PROVIDER_A, PROVIDER_B, Api, assert_problem


@pytest.fixture
def service(api: Api) -> None:
    api.create_provider(PROVIDER_A)
    api.create_provider(PROVIDER_B)
    api.create_service("svc-a", PROVIDER_A)


@pytest.mark.parametrize("who", ["admin", "provider_a"])
def test_admin_and_the_owning_provider_set_capacity(api: Api, service: None, who: str) -> None:
    before = dt.datetime.now(dt.UTC)
    r = api.client.put(
        "/services/svc-a/capacity",
        json={"status": "amber", "available": 0, "maximum": 12},
        headers=api.as_(who),
    )
    assert r.status_code == 200, r.text
    capacity = r.json()
    assert (capacity["status"], capacity["available"], capacity["maximum"]) == ("amber", 0, 12)
    updated = dt.datetime.fromisoformat(capacity["updated"])
    assert before <= updated <= dt.datetime.now(dt.UTC)
    assert api.get("/services/svc-a", "referrer").json()["capacity"] == capacity


def test_another_providers_service_is_404_and_unchanged(api: Api, service: None) -> None:
    before = api.get("/services/svc-a").json()["capacity"]
    r = api.client.put(
        "/services/svc-a/capacity", json={"status": "red"}, headers=api.as_("provider_b")
    )
    assert_problem(r, 404, "service_not_found")
    assert api.get("/services/svc-a").json()["capacity"] == before


def test_an_unknown_service_is_404(api: Api, service: None) -> None:
    r = api.client.put(
        "/services/nothing/capacity", json={"status": "red"}, headers=api.as_("admin")
    )
    assert_problem(r, 404)


@pytest.mark.parametrize(
    "body",
    [
        {"status": "amber", "updated": "2020-01-01T00:00:00Z"},  # the server sets it
        {"status": "closed"},
        {"available": 1},
        {"status": "green", "available": -1},
        {"status": "green", "available": 3, "maximum": 2},
        {"status": "green", "available": True},
        {"status": "green", "available": "3"},
    ],
)
def test_bad_capacity_is_422(api: Api, service: None, body: dict[str, object]) -> None:
    r = api.client.put("/services/svc-a/capacity", json=body, headers=api.as_("provider_a"))
    assert_problem(r, 422)


def test_capacity_changes_the_snapshot_version(api: Api, service: None) -> None:
    etag = api.snapshot_etag()
    api.client.put(
        "/services/svc-a/capacity", json={"status": "red"}, headers=api.as_("provider_a")
    )
    assert api.snapshot_etag() != etag
    red = api.get("/services", params={"capacity_status": "red"}).json()["items"]
    assert [s["id"] for s in red] == ["svc-a"]
