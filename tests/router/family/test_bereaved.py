"""A family bereaved by homicide: each relative gets the homicide bereavement service."""

from __future__ import annotations

from tests.router.api.helpers import Api

from .helpers import HOMICIDE, YOUNG, services


def test_each_relative_bereaved_by_homicide_gets_the_homicide_service(api: Api) -> None:
    widow = api.refer(
        victim={"age": 52, "role": "indirect", "sex": "female"},
        incident={"kind": "homicide"},
        assessment={
            "dash_score": None,
            "flags": ["bereaved"],
            "incidents_last_12_months": None,
            "needs": {"bereavement_support": 3},
        },
    )
    assert HOMICIDE in [h["service_id"] for h in widow["plan"]["handovers"]]
    got = api.post(
        f"/referrals/{widow['id']}/family",
        "referrer",
        {
            "kind": "bereaved_family",
            "members": [
                {"relationship": "child", "age": 24, "consent_to_share": True},
                {"relationship": "child", "age": 15, "consent_to_share": True},
                {"relationship": "parent", "age": 80, "consent_to_share": True},
                {
                    "relationship": "sibling",
                    "age": 49,
                    "consent_to_share": True,
                    "needs": {"bereavement_support": 3, "court_support": 2},
                },
            ],
        },
    )
    assert got.status_code == 201, got.text
    linked = got.json()
    assert linked["case"]["kind"] == "bereaved_family"
    adult, teenager, grandparent, sibling = linked["created"]
    for made in linked["created"]:
        assert HOMICIDE in services(made), made
        assert made["lead"] is not None
    assert YOUNG in services(teenager) and YOUNG not in services(adult)
    assert YOUNG not in services(grandparent)

    # Each member's own assessment: bereaved, bereavement support by default.
    kid = api.get(f"/referrals/{teenager['referral_id']}", "referrer").json()
    assert kid["assessment"]["flags"] == ["bereaved"]
    assert kid["assessment"]["needs"] == {"young_victim_support": 2, "bereavement_support": 2}
    own = api.get(f"/referrals/{sibling['referral_id']}", "referrer").json()
    assert own["assessment"]["needs"] == {"bereavement_support": 3, "court_support": 2}

    # The homicide service (Victim Support) is on every plan, so it sees the whole family.
    family = api.get(f"/family/{linked['case']['id']}", "victim_support")
    assert family.status_code == 200, family.text
    assert [m["relationship"] for m in family.json()["members"]] == [
        "self",
        "child",
        "child",
        "parent",
        "sibling",
    ]
    # The young victims service, only the teenager.
    young = api.get(f"/family/{linked['case']['id']}", "young").json()["members"]
    assert [m["referral_id"] for m in young] == [teenager["referral_id"]]
