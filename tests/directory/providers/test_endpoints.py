"""/providers: create, list, read, update with If-Match, delete."""

from __future__ import annotations

from typing import Any

import pytest

from ..helpers import PROVIDER_A, PROVIDER_B, Api, assert_problem, provider_body


def test_create_returns_201_with_location_and_etag(api: Api) -> None:
    r = api.client.post("/providers", json=provider_body(), headers=api.as_("admin"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/providers/{PROVIDER_A}"
    assert r.headers["etag"].startswith('"')
    assert body["id"] == PROVIDER_A
    assert body["name"] == f"Provider {PROVIDER_A}"
    assert body["contact"]["email"] == "prov-a@example.org"
    assert api.get(f"/providers/{PROVIDER_A}", "referrer").json() == body


def test_create_with_an_existing_id_is_409(api: Api) -> None:
    api.create_provider()
    r = api.client.post("/providers", json=provider_body(), headers=api.as_("admin"))
    assert_problem(r, 409, "already_exists")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"id": "Has Capitals"}, "id"),
        ({"id": "-leading-hyphen"}, "id"),
        ({"id": "x" * 101}, "id"),
        ({"id": "entry:police"}, "id"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"description": "d" * 2001}, "description"),
        ({"contact": {"Phone": "1"}}, "contact"),
        ({"contact": {f"k{i}": "v" for i in range(21)}}, "contact"),
        ({"contact": {"phone": "p" * 501}}, "contact"),
        ({"contact": {"phone": 1}}, "contact"),
        ({"webhook_url": "https://example.org"}, "webhook_url"),
    ],
)
def test_create_rejects_bad_fields_with_422(api: Api, change: dict[str, Any], where: str) -> None:
    r = api.client.post("/providers", json=provider_body(**change), headers=api.as_("admin"))
    doc = assert_problem(r, 422, "invalid_request")
    assert any(where in e["loc"] for e in doc["errors"]), doc
    assert api.get("/providers").json()["items"] == []


def test_list_pages_with_an_opaque_cursor(api: Api) -> None:
    ids = [f"prov-{i:02d}" for i in range(7)]
    for provider_id in reversed(ids):
        api.create_provider(provider_id)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/providers", "provider_a", params=params).json()
        seen += [p["id"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    assert pages == 3


@pytest.mark.parametrize("limit", [0, 201, -1, "ten"])
def test_list_limit_is_bounded(api: Api, limit: object) -> None:
    assert_problem(api.get("/providers", params={"limit": limit}), 422)


@pytest.mark.parametrize("cursor", ["not-a-cursor", "eyJsIjoic2VydmljZXMiLCJhIjoieCJ9", "e30"])
def test_a_cursor_from_elsewhere_is_422(api: Api, cursor: str) -> None:
    # The second is a well-formed cursor of /services, the third is "{}".
    doc = assert_problem(api.get("/providers", params={"cursor": cursor}), 422)
    assert doc["errors"][0]["loc"] == ["query", "cursor"]


def test_get_unknown_is_404(api: Api) -> None:
    assert_problem(api.get("/providers/nobody"), 404, "provider_not_found")


def test_get_answers_304_to_its_own_etag(api: Api) -> None:
    api.create_provider()
    first = api.get(f"/providers/{PROVIDER_A}")
    etag = first.headers["etag"]
    r = api.get(f"/providers/{PROVIDER_A}", headers={"If-None-Match": etag})
    assert r.status_code == 304
    assert r.headers["etag"] == etag
    assert r.content == b""
    assert (
        api.get(f"/providers/{PROVIDER_A}", headers={"If-None-Match": '"other"'}).status_code == 200
    )


def test_patch_with_the_current_etag_changes_only_given_fields(api: Api) -> None:
    created = api.create_provider()
    etag = api.get(f"/providers/{PROVIDER_A}").headers["etag"]
    r = api.client.patch(
        f"/providers/{PROVIDER_A}",
        json={"name": "Renamed"},
        headers={**api.as_("admin"), "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Renamed"
    assert r.json()["description"] == created["description"]
    assert r.headers["etag"] != etag
    assert api.get(f"/providers/{PROVIDER_A}").headers["etag"] == r.headers["etag"]


def test_patch_without_if_match_is_428_and_changes_nothing(api: Api) -> None:
    api.create_provider()
    r = api.client.patch(f"/providers/{PROVIDER_A}", json={"name": "X"}, headers=api.as_("admin"))
    assert_problem(r, 428, "precondition_required")
    assert api.get(f"/providers/{PROVIDER_A}").json()["name"] == f"Provider {PROVIDER_A}"


@pytest.mark.parametrize("if_match", ['"stale"', 'W/"{etag}"', "garbage"])
def test_patch_with_a_stale_or_weak_etag_is_412(api: Api, if_match: str) -> None:
    api.create_provider()
    etag = api.get(f"/providers/{PROVIDER_A}").headers["etag"]
    r = api.client.patch(
        f"/providers/{PROVIDER_A}",
        json={"name": "X"},
        headers={**api.as_("admin"), "If-Match": if_match.format(etag=etag.strip('"'))},
    )
    assert_problem(r, 412, "precondition_failed")
    assert api.get(f"/providers/{PROVIDER_A}").json()["name"] == f"Provider {PROVIDER_A}"


def test_a_second_writer_with_the_first_etag_gets_412(api: Api) -> None:
    api.create_provider()
    etag = api.get(f"/providers/{PROVIDER_A}").headers["etag"]
    headers = {**api.as_("admin"), "If-Match": etag}
    assert (
        api.client.patch(
            f"/providers/{PROVIDER_A}", json={"name": "A"}, headers=headers
        ).status_code
        == 200
    )
    r = api.client.patch(f"/providers/{PROVIDER_A}", json={"name": "B"}, headers=headers)
    assert_problem(r, 412)
    assert api.get(f"/providers/{PROVIDER_A}").json()["name"] == "A"


def test_if_match_star_matches_an_existing_provider(api: Api) -> None:
    api.create_provider()
    r = api.client.patch(
        f"/providers/{PROVIDER_A}",
        json={"name": "Z"},
        headers={**api.as_("admin"), "If-Match": "*"},
    )
    assert r.status_code == 200


@pytest.mark.parametrize("body", [{"name": None}, {"contact": None}, {"id": "new-id"}, {"nope": 1}])
def test_patch_rejects_nulls_and_unknown_fields(api: Api, body: dict[str, object]) -> None:
    api.create_provider()
    r = api.client.patch(
        f"/providers/{PROVIDER_A}", json=body, headers={**api.as_("admin"), "If-Match": "*"}
    )
    assert_problem(r, 422)


def test_patch_unknown_is_404(api: Api) -> None:
    r = api.client.patch(
        "/providers/nobody", json={"name": "X"}, headers={**api.as_("admin"), "If-Match": "*"}
    )
    assert_problem(r, 404)


def test_delete_a_provider_with_services_is_409_naming_them(api: Api) -> None:
    api.create_provider()
    api.create_service("svc-a")
    api.create_service("svc-b")
    doc = assert_problem(
        api.client.delete(f"/providers/{PROVIDER_A}", headers=api.as_("admin")),
        409,
        "provider_has_services",
    )
    assert "svc-a" in doc["detail"] and "svc-b" in doc["detail"]
    assert api.get(f"/providers/{PROVIDER_A}").status_code == 200


def test_delete_an_idle_provider_is_204_and_revokes_its_keys(api: Api) -> None:
    api.create_provider(PROVIDER_A)
    api.create_provider(PROVIDER_B)
    assert api.get("/providers", "provider_a").status_code == 200
    r = api.client.delete(f"/providers/{PROVIDER_A}", headers=api.as_("admin"))
    assert r.status_code == 204
    assert r.content == b""
    assert_problem(api.get(f"/providers/{PROVIDER_A}"), 404)
    assert_problem(api.get("/providers", "provider_a"), 401)  # its key went with it
    assert api.get("/providers", "provider_b").status_code == 200
    assert_problem(api.client.delete(f"/providers/{PROVIDER_A}", headers=api.as_("admin")), 404)


def test_delete_with_a_stale_if_match_is_412(api: Api) -> None:
    api.create_provider()
    r = api.client.delete(
        f"/providers/{PROVIDER_A}", headers={**api.as_("admin"), "If-Match": '"stale"'}
    )
    assert_problem(r, 412)
    assert api.get(f"/providers/{PROVIDER_A}").status_code == 200
