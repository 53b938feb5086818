"""POST /search: graph/'s eligibility over the current directory version; near misses as gaps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from graph.build import build_graph
from graph.codec import directory_from_dict, referral_from_dict
from graph.search import search
from services.common.db import writer
from services.directory.seed import seed

from ..helpers import CAMBRIDGE, PETERBOROUGH, Api, assert_problem


def _profile(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "victim": {"age": 34, "area": CAMBRIDGE, "role": "direct"},
        "incident": {"kind": "theft", "reported_to_police": True},
        "assessment": {"needs": {"emotional_support": 2}},
    }
    for key, value in changes.items():
        body[key] = {**body[key], **value}
    return body


@pytest.fixture
def directory(api: Api) -> None:
    api.create_provider()
    api.create_service(
        "adults-cambs",
        eligibility={"min_age": 18, "areas": [CAMBRIDGE]},
        needs=["emotional_support"],
        specialisms=["emotional_support"],
    )
    api.create_service(
        "adults-pboro",
        eligibility={"min_age": 18, "areas": [PETERBOROUGH]},
        needs=["emotional_support"],
        specialisms=["emotional_support"],
    )
    api.create_service(
        "generalist",
        eligibility={},
        needs=["practical_support", "emotional_support"],
        specialisms=["practical_support"],
        capacity={"status": "amber"},
    )
    api.create_service(
        "closed",
        eligibility={},
        needs=["emotional_support"],
        specialisms=[],
        capacity={"status": "red"},
    )


def test_search_ranks_the_eligible_and_lists_one_check_misses(api: Api, directory: None) -> None:
    r = api.client.post("/search", json=_profile(), headers=api.as_("referrer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [h["service_id"] for h in body["results"]] == ["adults-cambs", "generalist"]
    assert body["results"][0] == {
        "service_id": "adults-cambs",
        "needs_met": ["emotional_support"],
        "score": 4.0,
        "language": "not_asked",
        "interpreter": False,
        "access_to_arrange": [],
    }  # severity 2, doubled for a specialism
    assert body["results"][1]["score"] == 1.5  # amber loses a quarter
    assert {(g["service_id"], tuple(g["failed"])) for g in body["gaps"]} == {
        ("adults-pboro", ("area",)),
        ("closed", ("capacity",)),
    }
    assert body["directory_version"] == api.get("/snapshot", "service").json()["version"]


def test_search_is_graphs_search_on_the_snapshot(api: Api, directory: None) -> None:
    # The service adds no rule of its own: the same answer as graph.search on the same data.
    profile = _profile(victim={"age": 17}, assessment={"needs": {"emotional_support": 3}})
    body = api.client.post("/search", json=profile, headers=api.as_("provider_a")).json()
    today = dt.datetime.now(dt.UTC).date()
    snapshot = directory_from_dict(api.get("/snapshot", "service").json())
    expected = search(
        build_graph(snapshot),
        referral_from_dict({"source": {"kind": "agency"}, **profile}, today=today),
        as_of=today,
        now=dt.datetime.now(dt.UTC),
    )
    assert [h["service_id"] for h in body["results"]] == [h.service_id for h in expected.results]
    assert [g["service_id"] for g in body["gaps"]] == [g.service_id for g in expected.gaps]
    assert ("adults-cambs", ["age"]) in [(g["service_id"], g["failed"]) for g in body["gaps"]]


def test_search_follows_changes_to_the_directory(api: Api, directory: None) -> None:
    api.client.put("/services/closed/capacity", json={"status": "green"}, headers=api.as_("admin"))
    body = api.client.post("/search", json=_profile(), headers=api.as_("referrer")).json()
    assert "closed" in [h["service_id"] for h in body["results"]]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"victim": {"area": "Cambridge"}}, "area"),
        ({"victim": {"age": 130}}, "age"),
        ({"victim": {"age": "34"}}, "age"),
        ({"incident": {"kind": "mugging"}}, "kind"),
        ({"incident": {"occurred_on": "2999-01-01"}}, "occurred_on"),
        ({"incident": {"occurred_on": "2026-02-30"}}, "occurred_on"),
        ({"incident": {"occurred_on": "yesterday"}}, "occurred_on"),
        ({"assessment": {"needs": {"cake": 1}}}, "needs"),
        ({"assessment": {"needs": {"finance": 4}}}, "finance"),
        ({"assessment": {"needs": {"finance": True}}}, "finance"),
        ({"assessment": {"dash_score": 25}}, "dash_score"),
        ({"assessment": {"flags": ["grumpy"]}}, "flags"),
        ({"victim": {"shoe_size": 9}}, "shoe_size"),
    ],
)
def test_bad_profiles_are_422(api: Api, change: dict[str, Any], where: str) -> None:
    r = api.client.post("/search", json=_profile(**change), headers=api.as_("referrer"))
    doc = assert_problem(r, 422)
    assert any(where in [str(p) for p in e["loc"]] for e in doc["errors"]), doc


def test_search_on_the_shipped_directory(api: Api, engine: Engine) -> None:
    with Session(writer(engine)) as session:
        seed(session=session)
        session.commit()
    profile = {
        "victim": {"age": 34, "area": CAMBRIDGE, "sex": "female"},
        "incident": {"kind": "domestic_abuse", "reported_to_police": True},
        "assessment": {"dash_score": 16, "needs": {"domestic_abuse_advocacy": 3}},
    }
    body = api.client.post("/search", json=profile, headers=api.as_("referrer")).json()
    assert body["results"][0]["service_id"] == "idva-cambridgeshire"
    assert {"service_id": "idva-peterborough", "failed": ["area"]} in body["gaps"]
