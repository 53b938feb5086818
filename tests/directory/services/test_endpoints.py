"""/services: create, list with filters, read, update with If-Match, delete."""

from __future__ import annotations

from typing import Any

import pytest

from graph.codec import service_from_dict
from graph.vocabulary import Need

from ..helpers import (
    CAMBRIDGE,
    PETERBOROUGH,
    PROVIDER_A,
    PROVIDER_B,
    Api,
    assert_problem,
    service_body,
)


@pytest.fixture
def provider(api: Api) -> dict[str, Any]:
    return api.create_provider()


def test_create_returns_the_service_with_server_set_capacity_time(
    api: Api, provider: object
) -> None:
    r = api.client.post("/services", json=service_body(), headers=api.as_("admin"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == "/services/svc-a"
    assert body["needs"] == ["emotional_support", "practical_support"]
    assert body["specialisms"] == ["emotional_support"]
    assert body["eligibility"] == {"min_age": 16, "areas": [CAMBRIDGE], "self_referral": True}
    assert body["capacity"]["status"] == "green"
    assert body["capacity"]["available"] == 5
    assert body["capacity"]["updated"] is not None
    assert body["webhook"] is None  # admins see that none is set
    assert api.get("/services/svc-a").json() == body


def test_create_normalises_eligibility_as_graph_writes_it(api: Api, provider: object) -> None:
    eligibility = {
        "areas": [CAMBRIDGE, PETERBOROUGH],
        "incident_kinds": ["theft", "burglary"],
        "min_age": None,
        "any_of": [{"min_age": 60}, {"incident_kinds": ["fraud"]}],
    }
    body = api.create_service(eligibility=eligibility)
    assert body["eligibility"] == {
        "areas": [PETERBOROUGH, CAMBRIDGE],  # sorted: E06… before E07…
        "incident_kinds": ["burglary", "theft"],
        "any_of": [{"min_age": 60}, {"incident_kinds": ["fraud"]}],
    }


def test_a_service_without_capacity_has_no_confirmed_figures(api: Api, provider: object) -> None:
    body = api.create_service(capacity=None)
    assert body["capacity"] == {
        "status": "green",
        "available": None,
        "maximum": None,
        "updated": None,
    }


def test_create_with_an_existing_id_is_409(api: Api, provider: object) -> None:
    api.create_service()
    r = api.client.post("/services", json=service_body(), headers=api.as_("admin"))
    assert_problem(r, 409, "already_exists")


def test_create_for_an_unknown_provider_is_422(api: Api) -> None:
    r = api.client.post(
        "/services", json=service_body(provider_id="nobody"), headers=api.as_("admin")
    )
    doc = assert_problem(r, 422)
    assert doc["errors"][0]["loc"] == ["body", "provider_id"]


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"needs": []}, "needs"),
    ({"needs": ["not_a_need"]}, "needs"),
    ({"needs": ["health", "health"]}, "needs"),
    ({"specialisms": ["refuge"]}, "specialisms"),
    ({"eligibility": {"min_age": 121}}, "min_age"),
    ({"eligibility": {"min_age": -1}}, "min_age"),
    ({"eligibility": {"min_age": 30, "max_age": 20}}, "eligibility"),
    ({"eligibility": {"min_age": 1.5}}, "min_age"),
    ({"eligibility": {"areas": ["Cambridge"]}}, "areas"),
    ({"eligibility": {"areas": ["E0700000"]}}, "areas"),
    ({"eligibility": {"areas": []}}, "areas"),
    ({"eligibility": {"areas": [CAMBRIDGE, CAMBRIDGE]}}, "eligibility"),
    ({"eligibility": {"areas": [CAMBRIDGE] * 201}}, "areas"),
    ({"eligibility": {"incident_kinds": ["mugging"]}}, "incident_kinds"),
    ({"eligibility": {"risk_levels": ["extreme"]}}, "risk_levels"),
    ({"eligibility": {"sexes": ["unknown"]}}, "sexes"),
    ({"eligibility": {"min_severity": 4}}, "min_severity"),
    ({"eligibility": {"min_severity": 3, "max_severity": 1}}, "eligibility"),
    ({"eligibility": {"unknown_rule": True}}, "unknown_rule"),
    ({"eligibility": {"any_of": [{"min_age": 200}]}}, "min_age"),
    ({"eligibility": {"any_of": [{}] * 11}}, "any_of"),
    ({"capacity": {"status": "purple"}}, "status"),
    ({"capacity": {"status": "green", "available": 11, "maximum": 10}}, "capacity"),
    ({"capacity": {"status": "green", "available": 10**12}}, "available"),
    ({"capacity": {"status": "green", "updated": "2026-01-01T00:00:00Z"}}, "updated"),
    ({"response_hours": 0}, "response_hours"),
    ({"response_hours": 10**9}, "response_hours"),
    ({"name": "x" * 201}, "name"),
    ({"id": "entry:self"}, "id"),
    ({"colour": "blue"}, "colour"),
    ({"webhook": {"url": "https://example.org/h", "secret": "not-a-secret"}}, "secret"),
]


@pytest.mark.parametrize(("change", "where"), BAD_FIELDS)
def test_create_rejects_bad_fields_with_422(
    api: Api, provider: object, change: dict[str, Any], where: str
) -> None:
    r = api.client.post("/services", json=service_body(**change), headers=api.as_("admin"))
    doc = assert_problem(r, 422, "invalid_request")
    assert any(where in e["loc"] for e in doc["errors"]), doc
    assert api.get("/services").json()["items"] == []


def test_webhooks_are_shown_to_admins_only(api: Api, provider: object) -> None:
    secret = "whsec_" + "A" * 32
    api.create_service(webhook={"url": "https://hooks.example.org/pathways", "secret": secret})
    admin = api.get("/services/svc-a").json()
    assert admin["webhook"] == {"url": "https://hooks.example.org/pathways", "secret": secret}
    for who in ("referrer", "service", "provider_a", "provider_b"):
        seen = api.get("/services/svc-a", who)
        assert "webhook" not in seen.json()
        assert "hooks.example.org" not in seen.text and secret not in seen.text
        listed = api.get("/services", who)
        assert "hooks.example.org" not in listed.text and secret not in listed.text
    assert "hooks.example.org" in api.get("/services").text


def test_a_webhook_without_a_secret_gets_a_generated_one(api: Api, provider: object) -> None:
    body = api.create_service(webhook={"url": "https://hooks.example.org/x"})
    assert body["webhook"]["secret"].startswith("whsec_")
    other = api.create_service("svc-b", webhook={"url": "https://hooks.example.org/x"})
    assert other["webhook"]["secret"] != body["webhook"]["secret"]


def test_etags_differ_between_what_admins_and_others_see(api: Api, provider: object) -> None:
    api.create_service(webhook={"url": "https://hooks.example.org/x"})
    admin = api.get("/services/svc-a")
    other = api.get("/services/svc-a", "referrer")
    assert admin.headers["etag"] != other.headers["etag"]
    assert admin.headers["vary"] == "Authorization"


def _filter(api: Api, **params: str) -> list[str]:
    r = api.get("/services", "referrer", params=params)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["items"]]


def test_list_filters_by_area_need_provider_and_capacity(api: Api) -> None:
    api.create_provider(PROVIDER_A)
    api.create_provider(PROVIDER_B)
    api.create_service(
        "cambs", eligibility={"areas": [CAMBRIDGE]}, needs=["health"], specialisms=[]
    )
    api.create_service(
        "pboro",
        eligibility={"areas": [PETERBOROUGH]},
        needs=["finance", "health"],
        specialisms=["finance"],
    )
    api.create_service(
        "anywhere",
        PROVIDER_B,
        eligibility={},
        needs=["finance"],
        specialisms=[],
        capacity={"status": "red"},
    )
    assert _filter(api) == ["anywhere", "cambs", "pboro"]
    assert _filter(api, area=CAMBRIDGE) == ["anywhere", "cambs"]
    assert _filter(api, area=PETERBOROUGH) == ["anywhere", "pboro"]
    assert _filter(api, need="finance") == ["anywhere", "pboro"]
    assert _filter(api, need="health", area=PETERBOROUGH) == ["pboro"]
    assert _filter(api, provider=PROVIDER_B) == ["anywhere"]
    assert _filter(api, capacity_status="red") == ["anywhere"]
    assert _filter(api, capacity_status="green", need="finance") == ["pboro"]
    assert _filter(api, need="refuge") == []


@pytest.mark.parametrize(
    "params",
    [{"area": "Cambridge"}, {"need": "cake"}, {"capacity_status": "blue"}, {"provider": "Bad Id"}],
)
def test_list_rejects_bad_filters(api: Api, params: dict[str, str]) -> None:
    assert_problem(api.get("/services", params=params), 422)


def test_list_pages_keep_filters(api: Api, provider: object) -> None:
    for i in range(5):
        api.create_service(f"svc-{i}", needs=["health"], specialisms=[])
    api.create_service("svc-other", needs=["finance"], specialisms=[])
    first = api.get("/services", params={"need": "health", "limit": 3}).json()
    second = api.get(
        "/services", params={"need": "health", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [s["id"] for s in first["items"] + second["items"]] == [f"svc-{i}" for i in range(5)]
    assert second["next_cursor"] is None


def _patch(api: Api, body: dict[str, Any], service_id: str = "svc-a") -> Any:
    etag = api.get(f"/services/{service_id}").headers["etag"]
    return api.client.patch(
        f"/services/{service_id}", json=body, headers={**api.as_("admin"), "If-Match": etag}
    )


def test_patch_changes_given_fields_and_reindexes(api: Api, provider: object) -> None:
    api.create_service()
    r = _patch(
        api,
        {
            "needs": ["finance"],
            "specialisms": ["finance"],
            "eligibility": {"areas": [PETERBOROUGH]},
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["needs"] == ["finance"] and body["specialisms"] == ["finance"]
    assert body["eligibility"] == {"areas": [PETERBOROUGH]}  # replaced whole
    assert body["name"] == "Service svc-a"
    assert _filter(api, need="finance", area=PETERBOROUGH) == ["svc-a"]
    assert _filter(api, need="emotional_support") == []
    assert _filter(api, area=CAMBRIDGE) == []


def test_patch_keeps_specialisms_within_needs(api: Api, provider: object) -> None:
    api.create_service()
    r = _patch(api, {"needs": ["finance"]})  # emotional_support stays a specialism: not allowed
    doc = assert_problem(r, 422)
    assert doc["errors"][0]["loc"] == ["body", "specialisms"]


def test_patch_moves_a_service_to_another_provider_that_exists(api: Api, provider: object) -> None:
    api.create_service()
    assert_problem(_patch(api, {"provider_id": "nobody"}), 422)
    api.create_provider(PROVIDER_B)
    assert _patch(api, {"provider_id": PROVIDER_B}).json()["provider_id"] == PROVIDER_B


def test_patch_sets_and_removes_the_webhook(api: Api, provider: object) -> None:
    api.create_service()
    r = _patch(api, {"webhook": {"url": "https://hooks.example.org/a"}})
    assert r.json()["webhook"]["url"] == "https://hooks.example.org/a"
    r = _patch(api, {"webhook": None})
    assert r.json()["webhook"] is None


def test_patch_needs_if_match(api: Api, provider: object) -> None:
    api.create_service()
    r = api.client.patch("/services/svc-a", json={"name": "X"}, headers=api.as_("admin"))
    assert_problem(r, 428, "precondition_required")
    r = api.client.patch(
        "/services/svc-a", json={"name": "X"}, headers={**api.as_("admin"), "If-Match": '"old"'}
    )
    assert_problem(r, 412, "precondition_failed")
    assert api.get("/services/svc-a").json()["name"] == "Service svc-a"


def test_patch_with_a_non_admin_etag_is_412(api: Api, provider: object) -> None:
    # The ETag names the representation: a referrer's view (no webhook) is not the admin's.
    api.create_service(webhook={"url": "https://hooks.example.org/a"})
    etag = api.get("/services/svc-a", "referrer").headers["etag"]
    r = api.client.patch(
        "/services/svc-a", json={"name": "X"}, headers={**api.as_("admin"), "If-Match": etag}
    )
    assert_problem(r, 412)


def test_a_capacity_update_makes_an_old_etag_stale(api: Api, provider: object) -> None:
    api.create_service()
    etag = api.get("/services/svc-a").headers["etag"]
    api.client.put("/services/svc-a/capacity", json={"status": "amber"}, headers=api.as_("admin"))
    r = api.client.patch(
        "/services/svc-a", json={"name": "X"}, headers={**api.as_("admin"), "If-Match": etag}
    )
    assert_problem(r, 412)


def test_an_empty_patch_changes_nothing(api: Api, provider: object) -> None:
    before = api.create_service()
    r = _patch(api, {})
    assert r.status_code == 200
    assert r.json() == before


def test_patch_unknown_is_404(api: Api) -> None:
    r = api.client.patch(
        "/services/nothing", json={"name": "X"}, headers={**api.as_("admin"), "If-Match": "*"}
    )
    assert_problem(r, 404, "service_not_found")


def test_self_referral_cannot_be_withdrawn_while_entry_self_leads_there(
    api: Api, provider: object
) -> None:
    api.create_service()
    pathway = api.create_pathway("entry:self", "svc-a")
    doc = assert_problem(
        _patch(api, {"eligibility": {"self_referral": False}}), 409, "self_referral_pathway"
    )
    assert "entry:self" in doc["detail"]
    api.client.delete(f"/pathways/{pathway['id']}", headers=api.as_("admin"))
    assert _patch(api, {"eligibility": {"self_referral": False}}).status_code == 200


def test_delete_a_service_with_pathways_is_409_naming_them(api: Api, provider: object) -> None:
    api.create_service("svc-a")
    api.create_service("svc-b")
    into = api.create_pathway("entry:police", "svc-a")
    out = api.create_pathway("svc-a", "svc-b")
    doc = assert_problem(
        api.client.delete("/services/svc-a", headers=api.as_("admin")), 409, "service_has_pathways"
    )
    assert into["id"] in doc["detail"] and out["id"] in doc["detail"]
    assert "1 into it and 1 out of it" in doc["detail"]
    # svc-b has a pathway into it only
    assert_problem(api.client.delete("/services/svc-b", headers=api.as_("admin")), 409)
    for pathway in (into, out):
        api.client.delete(f"/pathways/{pathway['id']}", headers=api.as_("admin"))
    assert api.client.delete("/services/svc-a", headers=api.as_("admin")).status_code == 204
    assert_problem(api.get("/services/svc-a"), 404)
    assert _filter(api, need="emotional_support") == ["svc-b"]


def test_every_stored_service_is_one_graph_can_read(api: Api, provider: object) -> None:
    api.create_service(
        eligibility={
            "min_age": 13,
            "max_age": 17,
            "areas": [CAMBRIDGE],
            "incident_kinds": ["sexual_violence"],
            "victim_roles": ["direct", "witness"],
            "risk_levels": ["high", "medium"],
            "requires_police_report": False,
            "sexes": ["female"],
            "max_days_since_incident": 7,
            "self_referral": True,
            "min_severity": 1,
            "max_severity": 3,
            "flags_any": ["self_harm"],
            "requires_court_case": True,
            "any_of": [{"min_age": 14}, {"risk_levels": ["high"]}],
        },
        needs=[n.value for n in list(Need)[:5]],
        specialisms=[],
    )
    snapshot = api.get("/snapshot", "service").json()
    service = service_from_dict(snapshot["services"][0])
    assert service.eligibility.max_days_since_incident == 7
    assert len(service.eligibility.any_of) == 2
