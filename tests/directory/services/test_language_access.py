"""Services declare languages, interpreters and access; the snapshot and search carry them."""

from __future__ import annotations

from typing import Any

import pytest

from graph.codec import directory_from_dict
from graph.vocabulary import AccessNeed

from ..helpers import Api, assert_problem, service_body

DECLARED: dict[str, Any] = {
    "languages": ["EN", "pl", "pt-br"],
    "interpreters": True,
    "access": ["step_free_access", "hearing_loop"],
}


@pytest.fixture
def provider(api: Api) -> dict[str, Any]:
    return api.create_provider()


def _patch(api: Api, body: dict[str, Any], service_id: str = "svc-a") -> Any:
    etag = api.get(f"/services/{service_id}").headers["etag"]
    return api.client.patch(
        f"/services/{service_id}", json=body, headers={**api.as_("admin"), "If-Match": etag}
    )


def test_create_stores_them_in_canonical_form(api: Api, provider: object) -> None:
    body = api.create_service(**DECLARED)
    assert body["languages"] == ["en", "pl", "pt-BR"]
    assert body["interpreters"] is True
    assert body["access"] == ["hearing_loop", "step_free_access"]
    assert api.get("/services/svc-a", "referrer").json()["languages"] == ["en", "pl", "pt-BR"]


def test_left_out_they_are_undeclared(api: Api, provider: object) -> None:
    body = api.create_service()
    assert (body["languages"], body["interpreters"], body["access"]) == ([], False, [])


def test_patch_changes_only_what_is_given(api: Api, provider: object) -> None:
    api.create_service(**DECLARED)
    r = _patch(api, {"languages": ["lt"]})
    assert r.status_code == 200, r.text
    assert r.json()["languages"] == ["lt"]
    assert r.json()["interpreters"] is True
    assert r.json()["access"] == ["hearing_loop", "step_free_access"]
    r = _patch(api, {"interpreters": False, "access": []})
    assert r.status_code == 200, r.text
    assert (r.json()["languages"], r.json()["interpreters"], r.json()["access"]) == (
        ["lt"],
        False,
        [],
    )


def test_a_patch_that_declares_them_is_audited(api: Api, provider: object) -> None:
    api.create_service()
    assert _patch(api, {"languages": ["ur"]}).status_code == 200
    log = api.get("/audit", params={"entity_id": "svc-a"}).json()
    items = log["items"] if isinstance(log, dict) else log
    update = next(e for e in items if e["action"] == "service.update")
    assert update["before"].get("languages") is None  # undeclared before
    assert update["after"]["languages"] == ["ur"]


BAD: list[tuple[dict[str, Any], str]] = [
    ({"languages": ["english"]}, "languages"),
    ({"languages": ["en_GB"]}, "languages"),
    ({"languages": [""]}, "languages"),
    ({"languages": ["en", "EN"]}, "languages"),
    ({"languages": "en"}, "languages"),
    ({"languages": ["en"] * 51}, "languages"),
    ({"interpreters": "yes"}, "interpreters"),
    ({"interpreters": 1}, "interpreters"),
    ({"access": ["wheelchair"]}, "access"),
    ({"access": ["easy_read", "easy_read"]}, "access"),
]


@pytest.mark.parametrize(("change", "where"), BAD)
def test_create_rejects_bad_declarations(
    api: Api, provider: object, change: dict[str, Any], where: str
) -> None:
    r = api.client.post("/services", json=service_body(**change), headers=api.as_("admin"))
    doc = assert_problem(r, 422, "invalid_request")
    assert any(where in e["loc"] for e in doc["errors"]), doc
    assert api.get("/services").json()["items"] == []


@pytest.mark.parametrize(("change", "where"), [*BAD, ({"languages": None}, "body")])
def test_patch_rejects_bad_declarations(
    api: Api, provider: object, change: dict[str, Any], where: str
) -> None:
    before = api.create_service(**DECLARED)
    doc = assert_problem(_patch(api, change), 422, "invalid_request")
    assert any(where in e["loc"] for e in doc["errors"]), doc
    assert api.get("/services/svc-a").json() == before


def test_the_openapi_document_states_the_rules(api: Api) -> None:
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    create = schemas["ServiceCreate"]["properties"]
    assert create["languages"]["uniqueItems"] is True
    assert create["languages"]["items"]["pattern"]
    assert "bfi" in create["languages"]["description"]
    assert create["access"]["uniqueItems"] is True
    assert "step_free_access" in create["access"]["description"]
    assert create["interpreters"]["type"] == "boolean"
    public = schemas["ServicePublic"]
    assert {"languages", "interpreters", "access"} <= set(public["required"])


# --------------------------------------------------------------------------- the snapshot


def test_the_snapshot_carries_declarations_and_leaves_out_the_undeclared(
    api: Api, provider: object
) -> None:
    api.create_service("declared", **DECLARED)
    api.create_service("plain")
    body = api.get("/snapshot", "service").json()
    by_id = {s["id"]: s for s in body["services"]}
    assert by_id["declared"]["languages"] == ["en", "pl", "pt-BR"]
    assert by_id["declared"]["interpreters"] is True
    assert by_id["declared"]["access"] == ["hearing_loop", "step_free_access"]
    assert not {"languages", "interpreters", "access"} & set(by_id["plain"])
    read = {s.id: s for s in directory_from_dict(body).services}
    assert read["declared"].languages == ("en", "pl", "pt-BR")
    assert read["declared"].access == {AccessNeed.HEARING_LOOP, AccessNeed.STEP_FREE_ACCESS}
    assert read["plain"].languages == ()


def test_a_declaration_changes_the_snapshot_version(api: Api, provider: object) -> None:
    api.create_service()
    etag = api.snapshot_etag()
    assert _patch(api, {"access": ["easy_read"]}).status_code == 200
    assert api.snapshot_etag() != etag
    assert api.get("/snapshot", "service").json()["services"][0]["access"] == ["easy_read"]


# --------------------------------------------------------------------------- search


def _profile(**victim: Any) -> dict[str, Any]:
    return {
        "victim": {"age": 34, "area": "E07000008", **victim},
        "incident": {"kind": "theft"},
        "assessment": {"needs": {"emotional_support": 2}},
    }


def test_search_says_how_each_service_meets_the_victim(api: Api, provider: object) -> None:
    api.create_service("speaks-polish", languages=["en", "pl"], eligibility={})
    api.create_service("interprets", languages=["en"], interpreters=True, eligibility={})
    api.create_service("undeclared", eligibility={})
    r = api.client.post(
        "/search",
        json=_profile(language="PL", interpreter=True, access_needs=["step_free_access"]),
        headers=api.as_("referrer"),
    )
    assert r.status_code == 200, r.text
    hits = {h["service_id"]: h for h in r.json()["results"]}
    assert (hits["speaks-polish"]["language"], hits["speaks-polish"]["interpreter"]) == (
        "spoken",
        False,
    )
    assert (hits["interprets"]["language"], hits["interprets"]["interpreter"]) == (
        "interpreter",
        True,
    )
    assert hits["undeclared"]["language"] == "unknown"
    assert all(h["access_to_arrange"] == ["step_free_access"] for h in hits.values())


@pytest.mark.parametrize(
    ("victim", "where"),
    [
        ({"language": "Polish"}, "language"),
        ({"interpreter": "yes"}, "interpreter"),
        ({"access_needs": ["ramp"]}, "access_needs"),
    ],
)
def test_search_rejects_a_bad_profile(
    api: Api, provider: object, victim: dict[str, Any], where: str
) -> None:
    r = api.client.post("/search", json=_profile(**victim), headers=api.as_("referrer"))
    doc = assert_problem(r, 422)
    assert any(where in e["loc"] for e in doc["errors"]), doc
