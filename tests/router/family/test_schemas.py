"""A family member is described as a referral's victim is (``VictimIn``), less the area."""

from __future__ import annotations

from typing import Any

from services.common.errors import UnprocessableContentError
from services.router.family.schemas import MemberIn
from services.router.family.service import _at_member
from services.router.referrals.schemas import VictimIn


def _properties(model: type[Any]) -> dict[str, Any]:
    properties: dict[str, Any] = model.model_json_schema()["properties"]
    return {
        name: {k: v for k, v in p.items() if k not in ("description", "default")}
        for name, p in properties.items()
    }


def test_a_member_has_every_field_of_a_victim_but_the_area() -> None:
    own = {"relationship", "needs", "flags", "risk_level"}
    assert set(MemberIn.model_fields) - own == set(VictimIn.model_fields) - {"area"}
    member, victim = _properties(MemberIn), _properties(VictimIn)
    for name in set(VictimIn.model_fields) - {"area"}:
        assert member[name] == victim[name], name


def test_a_referrals_422_is_reported_at_the_member() -> None:
    got = _at_member(UnprocessableContentError.at(["body", "victim", "age"], "too old"), 2)
    assert got.errors is not None
    assert [e.loc for e in got.errors] == [["body", "members", 2, "age"]]
    assert got.detail == "body.members.2.age: too old"
    got = _at_member(UnprocessableContentError.at(["body", "incident", "kind"], "bad"), 0)
    assert got.errors is not None and got.errors[0].loc == [
        "body",
        "members",
        0,
        "incident",
        "kind",
    ]
