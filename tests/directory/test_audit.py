"""GET /audit: every write, who made it, when and what changed; the log cannot be edited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from .helpers import Api, assert_problem


def _events(api: Api, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/audit", params={"limit": 200, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_writes_are_recorded_with_who_when_and_what(api: Api) -> None:
    start = dt.datetime.now(dt.UTC)
    api.create_provider()
    api.create_service(
        webhook={"url": "https://hooks.example.org/a", "secret": "whsec_" + "S" * 32}
    )
    etag = api.get("/services/svc-a").headers["etag"]
    api.client.patch(
        "/services/svc-a", json={"name": "Renamed"}, headers={**api.as_("admin"), "If-Match": etag}
    )
    api.client.put(
        "/services/svc-a/capacity", json={"status": "red"}, headers=api.as_("provider_a")
    )
    events = [e for e in _events(api) if e["entity_type"] != "api_key"]
    assert [e["action"] for e in events] == [
        "provider.create",
        "service.create",
        "service.update",
        "capacity.update",
    ]
    for event in events:
        assert start <= dt.datetime.fromisoformat(event["occurred_at"]) <= dt.datetime.now(dt.UTC)
    create, update, capacity = events[1], events[2], events[3]
    assert create["actor"]["name"] == "test-admin" and create["actor"]["role"] == "admin"
    assert create["actor"]["key_id"]
    assert create["before"] is None and create["after"]["name"] == "Service svc-a"
    assert update["before"] == {"name": "Service svc-a"} and update["after"] == {"name": "Renamed"}
    assert capacity["actor"] == {
        "name": "test-provider_a",
        "role": "provider",
        "key_id": capacity["actor"]["key_id"],
        "provider_id": "prov-a",
    }
    assert capacity["before"]["status"] == "green" and capacity["after"]["status"] == "red"


def test_secrets_never_reach_the_log(api: Api) -> None:
    secret = "whsec_" + "Q" * 40
    api.create_provider()
    api.create_service(webhook={"url": "https://hooks.example.org/a", "secret": secret})
    etag = api.get("/services/svc-a").headers["etag"]
    api.client.patch(
        "/services/svc-a",
        json={"webhook": {"url": "https://hooks.example.org/a", "secret": "whsec_" + "R" * 40}},
        headers={**api.as_("admin"), "If-Match": etag},
    )
    log = api.get("/audit", params={"limit": 200}).text
    assert secret not in log and "R" * 40 not in log
    for key in (api.keys.admin, api.keys.provider_a):
        assert key not in log
    (update,) = _events(api, action="service.update")
    assert update["before"]["webhook"]["secret"].startswith("sha256:")
    assert update["before"]["webhook"]["secret"] != update["after"]["webhook"]["secret"]


def test_deletes_keep_what_was_deleted(api: Api) -> None:
    api.create_provider()
    api.client.delete("/providers/prov-a", headers=api.as_("admin"))
    (deleted,) = _events(api, entity_type="provider", action="provider.delete")
    assert deleted["entity_id"] == "prov-a"
    assert deleted["before"]["name"] == "Provider prov-a" and deleted["after"] is None
    (revoked,) = _events(api, action="api_key.revoke")  # prov-a's key went with it
    assert revoked["before"] == {"revoked_at": None} and revoked["after"]["revoked_at"]
    (made,) = [
        e for e in _events(api, action="api_key.create") if e["entity_id"] == revoked["entity_id"]
    ]
    assert made["after"]["provider_id"] == "prov-a"


def test_filters_and_pages(api: Api) -> None:
    api.create_provider("prov-a")
    api.create_provider("prov-b")
    assert [e["entity_id"] for e in _events(api, entity_type="provider")] == ["prov-a", "prov-b"]
    assert [e["entity_id"] for e in _events(api, entity_id="prov-b")] == ["prov-b"]
    everything = _events(api)
    first = api.get("/audit", params={"limit": 2}).json()
    rest = api.get("/audit", params={"limit": 200, "cursor": first["next_cursor"]}).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in everything]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    "params", [{"entity_type": "Bad Type"}, {"entity_id": "a b"}, {"cursor": "zz"}]
)
def test_bad_filters_are_422(api: Api, params: dict[str, str]) -> None:
    assert_problem(api.get("/audit", params=params), 422)


def test_the_log_is_append_only_in_the_database(api: Api, engine: Engine) -> None:
    api.create_provider()
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor_name = 'someone else'"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log"))
    assert len(_events(api)) == 6  # five test keys and the provider
