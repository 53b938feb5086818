"""Bad input to POST /referrals/{id}/family is a 422 and changes nothing; others' referrals
are 404s, a provider that does not lead the case a 403."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.router.api.helpers import PROBLEM_JSON, Api

from .helpers import child


def _count(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        referrals, cases, members = (
            int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in ("referrals", "family_cases", "family_members")
        )
    return referrals, cases, members


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"kind": "household", "members": []}, ["body", "members"]),
        ({"kind": "household", "members": [child(5)] * 11}, ["body", "members"]),
        ({"kind": "household"}, ["body", "members"]),
        ({"kind": "clan", "members": [child(5)]}, ["body", "kind"]),
        ({"kind": "household", "members": [{**child(5), "relationship": "self"}]}, None),
        ({"kind": "household", "members": [{**child(5), "relationship": "cousin"}]}, None),
        ({"kind": "household", "members": [{**child(5), "age": -1}]}, None),
        ({"kind": "household", "members": [{**child(5), "age": 121}]}, None),
        ({"kind": "household", "members": [{**child(5), "age": "7"}]}, None),
        ({"kind": "household", "members": [{**child(5), "age": 7.5}]}, None),
        ({"kind": "household", "members": [{**child(5), "area": "E07000008"}]}, None),
        ({"kind": "household", "members": [{**child(5), "needs": {"cuddles": 2}}]}, None),
        ({"kind": "household", "members": [{**child(5), "needs": {"family": 4}}]}, None),
        ({"kind": "household", "members": [{**child(5), "sex": "unknown"}]}, None),
        ({"kind": "household", "members": [child(5)], "extra": 1}, ["body", "extra"]),
    ],
)
def test_bad_input_is_a_422_and_changes_nothing(
    api: Api, router_engine: Engine, body: dict[str, Any], where: list[str] | None
) -> None:
    mother = api.refer()
    before = _count(router_engine)
    got = api.post(f"/referrals/{mother['id']}/family", "referrer", body)
    assert got.status_code == 422, got.text
    assert got.headers["content-type"].startswith(PROBLEM_JSON)
    locs = [e["loc"] for e in got.json()["errors"]]
    if where is None:
        assert all(loc[:3] == ["body", "members", 0] for loc in locs), locs
    else:
        assert any(loc[: len(where)] == where for loc in locs), locs
    assert _count(router_engine) == before


def test_an_adult_needs_their_needs_said_and_the_422_names_each_member(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    before = _count(router_engine)
    got = api.post(
        f"/referrals/{mother['id']}/family",
        "referrer",
        {
            "kind": "household",
            "members": [
                child(5),
                {"relationship": "partner", "age": 40},
                {"relationship": "sibling"},
            ],
        },
    )
    assert got.status_code == 422, got.text
    assert [e["loc"] for e in got.json()["errors"]] == [
        ["body", "members", 1, "needs"],
        ["body", "members", 2, "needs"],
    ]
    assert _count(router_engine) == before


def test_only_the_referrer_the_lead_provider_or_an_admin_may_link(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    body = {"kind": "household", "members": [child(5)]}
    before = _count(router_engine)
    missing = str(uuid.uuid4())
    for who in ("referrer_b", "bobby", "young"):
        got = api.post(f"/referrals/{mother['id']}/family", who, body)
        absent = api.post(f"/referrals/{missing}/family", who, body)
        assert got.status_code == absent.status_code == 404, got.text
        assert got.json()["code"] == absent.json()["code"] == "referral_not_found"
    # Housing is on the case but does not lead it.
    got = api.post(f"/referrals/{mother['id']}/family", "housing", body)
    assert got.status_code == 403 and got.json()["code"] == "not_the_lead", got.text
    got = api.post(f"/referrals/{mother['id']}/family", "service", body)
    assert got.status_code == 403 and got.json()["code"] == "forbidden"
    assert _count(router_engine) == before


def test_reading_a_case_that_is_not_there(api: Api) -> None:
    mother = api.refer()
    got = api.get(f"/referrals/{mother['id']}/family", "referrer")
    assert got.status_code == 200 and got.json() == {"case": None, "members": []}
    assert api.get(f"/referrals/{mother['id']}/family", "idva").json()["case"] is None
    got = api.get(f"/family/{uuid.uuid4()}", "admin")
    assert got.status_code == 404 and got.json()["code"] == "family_case_not_found"
    got = api.get("/family/not-a-case", "admin")
    assert got.status_code == 422
    got = api.get(f"/referrals/{uuid.uuid4()}/family", "referrer")
    assert got.status_code == 404 and got.json()["code"] == "referral_not_found"
