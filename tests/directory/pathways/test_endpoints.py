"""/pathways: create, list, read, delete."""

from __future__ import annotations

import pytest

from services.directory.ids import pathway_id

from ..helpers import Api, assert_problem


@pytest.fixture
def services(api: Api) -> None:
    api.create_provider()
    api.create_service("svc-a")
    api.create_service("svc-b")
    api.create_service("no-self", eligibility={"self_referral": False})


def test_create_from_an_entry_node_and_from_a_service(api: Api, services: None) -> None:
    r = api.client.post(
        "/pathways",
        json={"from_service": "entry:police", "to_service": "svc-a", "days": 0.5},
        headers=api.as_("admin"),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == pathway_id("entry:police", "svc-a")
    assert r.headers["location"] == f"/pathways/{body['id']}"
    assert (body["from_service"], body["to_service"], body["days"]) == (
        "entry:police",
        "svc-a",
        0.5,
    )
    second = api.create_pathway("svc-a", "svc-b")
    assert second["days"] == 1.0  # the default
    assert api.get(f"/pathways/{second['id']}", "provider_b").json() == second


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"from_service": "entry:police", "to_service": "nothing"}, "to_service"),
        ({"from_service": "nothing", "to_service": "svc-a"}, "from_service"),
        ({"from_service": "entry:elsewhere", "to_service": "svc-a"}, "from_service"),
        ({"from_service": "svc-a", "to_service": "svc-a"}, "to_service"),
        ({"from_service": "svc-a", "to_service": "entry:police"}, "to_service"),
        ({"from_service": "svc-a", "to_service": "svc-b", "days": -1}, "days"),
        ({"from_service": "svc-a", "to_service": "svc-b", "days": 366}, "days"),
        ({"from_service": "svc-a", "to_service": "svc-b", "days": True}, "days"),
        ({"from_service": "svc-a", "to_service": "svc-b", "id": "mine"}, "id"),
        ({"to_service": "svc-b"}, "from_service"),
    ],
)
def test_bad_pathways_are_422(
    api: Api, services: None, body: dict[str, object], where: str
) -> None:
    doc = assert_problem(api.client.post("/pathways", json=body, headers=api.as_("admin")), 422)
    assert any(where in e["loc"] for e in doc["errors"]), doc
    assert api.get("/pathways").json()["items"] == []


def test_a_duplicate_pathway_is_409(api: Api, services: None) -> None:
    api.create_pathway("svc-a", "svc-b")
    r = api.client.post(
        "/pathways",
        json={"from_service": "svc-a", "to_service": "svc-b", "days": 3},
        headers=api.as_("admin"),
    )
    assert_problem(r, 409, "already_exists")
    api.create_pathway("svc-b", "svc-a")  # the other direction is another pathway


def test_entry_self_only_leads_to_services_taking_self_referrals(api: Api, services: None) -> None:
    r = api.client.post(
        "/pathways",
        json={"from_service": "entry:self", "to_service": "no-self"},
        headers=api.as_("admin"),
    )
    assert_problem(r, 409, "no_self_referral")
    api.create_pathway("entry:self", "svc-a")
    api.create_pathway("entry:police", "no-self")


def test_list_filters(api: Api, services: None) -> None:
    police_a = api.create_pathway("entry:police", "svc-a")
    a_b = api.create_pathway("svc-a", "svc-b")
    b_a = api.create_pathway("svc-b", "svc-a")

    def ids(**params: str) -> set[str]:
        r = api.get("/pathways", "referrer", params=params)
        assert r.status_code == 200, r.text
        return {p["id"] for p in r.json()["items"]}

    assert ids() == {police_a["id"], a_b["id"], b_a["id"]}
    assert ids(from_service="entry:police") == {police_a["id"]}
    assert ids(from_service="svc-a") == {a_b["id"]}
    assert ids(to_service="svc-a") == {police_a["id"], b_a["id"]}
    assert ids(service="svc-b") == {a_b["id"], b_a["id"]}
    assert_problem(api.get("/pathways", params={"from_service": "Bad!"}), 422)


def test_list_pages(api: Api, services: None) -> None:
    for source in ("entry:police", "entry:self", "svc-b"):
        api.create_pathway(source, "svc-a")
    first = api.get("/pathways", params={"limit": 2}).json()
    second = api.get("/pathways", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["next_cursor"] is None


def test_delete(api: Api, services: None) -> None:
    pathway = api.create_pathway("svc-a", "svc-b")
    assert (
        api.client.delete(f"/pathways/{pathway['id']}", headers=api.as_("admin")).status_code == 204
    )
    assert_problem(api.get(f"/pathways/{pathway['id']}"), 404, "pathway_not_found")
    assert_problem(api.client.delete(f"/pathways/{pathway['id']}", headers=api.as_("admin")), 404)
    api.create_pathway("svc-a", "svc-b")  # and it can be made again


@pytest.mark.parametrize("bad_id", ["%00", "a%20b", "x" * 101])
def test_impossible_ids_are_422_not_500(api: Api, bad_id: str) -> None:
    assert_problem(api.get(f"/pathways/{bad_id}"), 422)
