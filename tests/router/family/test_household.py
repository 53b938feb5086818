"""POST /referrals/{id}/family for a household: each person their own plan, one case."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from tests.router.api.helpers import Api, audited

from .helpers import IDVA, YOUNG, child, referrer_of, services, timeline


def _link(api: Api, referral_id: str, who: str, *members: dict[str, Any]) -> dict[str, Any]:
    got = api.post(
        f"/referrals/{referral_id}/family", who, {"kind": "household", "members": list(members)}
    )
    assert got.status_code == 201, got.text
    body: dict[str, Any] = got.json()
    return body


def test_a_mother_and_two_children_each_get_their_own_plan_in_one_case(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    assert mother["plan"]["lead"] == IDVA

    linked = _link(api, mother["id"], "referrer", child(7), child(12))

    case = linked["case"]
    assert case["kind"] == "household" and case["created_by"] == "test-referrer"
    assert len(linked["created"]) == 2
    for made in linked["created"]:
        assert made["relationship"] == "child"
        assert made["lead"] == YOUNG
        assert services(made) == [YOUNG]
        assert made["handovers"][0]["mode"] == "warm"
        assert made["referral_id"] is not None
    kids = [m["referral_id"] for m in linked["created"]]

    # Each child's referral is a full referral of its own: the same incident, area and source,
    # the child's own needs (defaulted), enhanced as a young victim.
    for kid in kids:
        got = api.get(f"/referrals/{kid}", "referrer")
        assert got.status_code == 200, got.text
        referral = got.json()
        assert referral["incident"] == mother["incident"]
        assert referral["victim"]["area"] == mother["victim"]["area"]
        assert referral["victim"]["role"] == "indirect"
        assert referral["source"] == mother["source"]
        assert referral["assessment"]["needs"] == {"young_victim_support": 2}
        assert referral["enhanced"] is True
        assert referrer_of(router_engine, kid) == "test-referrer"

    family = api.get(f"/family/{case['id']}", "referrer")
    assert family.status_code == 200, family.text
    members = family.json()["members"]
    assert [(m["referral_id"], m["relationship"]) for m in members] == [
        (mother["id"], "self"),
        (kids[0], "child"),
        (kids[1], "child"),
    ]
    assert [m["lead"] for m in members] == [IDVA, YOUNG, YOUNG]
    assert [m["risk_level"] for m in members] == ["high", "standard", "standard"]
    assert {m["status"] for m in members} == {"open"}
    assert api.get(f"/referrals/{kids[1]}/family", "referrer").json() == family.json()
    assert api.get(f"/referrals/{mother['id']}/family", "admin").json() == family.json()

    # Plain words on every timeline, naming nobody else's details.
    [note] = timeline(router_engine, mother["id"], "family.linked")
    assert "2 family members" in note.text and "household" in note.text
    assert all(kid not in note.text for kid in kids)
    for kid in kids:
        [note] = timeline(router_engine, kid, "family.linked")
        assert "the child of another victim" in note.text
        assert mother["id"] not in note.text and "34" not in note.text

    # Audited, naming the caller.
    [made_case] = [e for e in audited(router_engine, "create") if e.entity_type == "family_case"]
    assert made_case.entity_id == case["id"] and made_case.actor_name == "test-referrer"
    added = audited(router_engine, "add_family_member")
    assert [e.entity_id for e in added] == [mother["id"], *kids]
    assert {e.actor_name for e in added} == {"test-referrer"}
    [linking] = audited(router_engine, "link_family")
    assert linking.after == {"referral_id": mother["id"], "kind": "household", "added": kids}
    reads = [e for e in audited(router_engine, "read_family") if e.actor_name == "test-referrer"]
    assert {e.entity_id for e in reads} == {mother["id"], *kids}


def test_the_lead_provider_adds_the_children_for_the_referrer(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    linked = _link(api, mother["id"], "idva", child(4), child(9, needs={"young_victim_support": 3}))

    # The IDVA made the referrals on the victim's word, but is on neither child's plan: it
    # learns where they were routed, not their referrals' ids.
    assert [m["referral_id"] for m in linked["created"]] == [None, None]
    assert [services(m) for m in linked["created"]] == [[YOUNG], [YOUNG]]
    assert linked["case"]["created_by"] == "test-idva"

    # They belong to the mother's referrer, who reads the whole family.
    family = api.get(f"/referrals/{mother['id']}/family", "referrer").json()
    kids = [m["referral_id"] for m in family["members"][1:]]
    assert len(kids) == 2
    for kid in kids:
        assert referrer_of(router_engine, kid) == "test-referrer"
        assert api.get(f"/referrals/{kid}", "referrer").status_code == 200
    assert api.get(f"/referrals/{kids[1]}", "referrer").json()["assessment"]["needs"] == {
        "young_victim_support": 3
    }

    # The audit log names the IDVA for every step: the referrals it made and the links.
    created = [e for e in audited(router_engine, "create") if e.entity_id in kids]
    assert len(created) == 2
    assert {(e.actor_name, e.actor_role) for e in created} == {("test-idva", "provider")}
    added = audited(router_engine, "add_family_member")
    assert {(e.actor_name, e.actor_role) for e in added} == {("test-idva", "provider")}
    assert {e.after["referrer"] for e in added if e.entity_id in kids} == {"test-referrer"}  # type: ignore[index]
    [note] = timeline(router_engine, kids[0], "family.linked")
    # The child's timeline (which the young victims service reads) does not say that an IDVA,
    # on the mother's plan, made it: the audit log and the event's actor do.
    assert note.actor == "test-idva" and "idva" not in note.text.lower()


def test_an_admin_may_link_and_the_referrals_stay_the_referrers(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    linked = _link(api, mother["id"], "admin", {**child(15), "relationship": "sibling"})
    [made] = linked["created"]
    assert made["referral_id"] is not None
    assert referrer_of(router_engine, made["referral_id"]) == "test-referrer"
    assert api.get(f"/referrals/{made['referral_id']}", "referrer").status_code == 200


def test_members_are_added_to_the_case_the_referral_is_already_in(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    first = _link(api, mother["id"], "referrer", child(7))
    again = _link(
        api,
        mother["id"],
        "referrer",
        {"relationship": "parent", "age": 63, "needs": {"emotional_support": 2}},
    )
    assert again["case"] == first["case"]
    # Through a member's referral, too: the same case (relationships are to the first victim).
    kid = first["created"][0]["referral_id"]
    third = _link(api, kid, "referrer", child(2))
    assert third["case"] == first["case"]

    members = api.get(f"/family/{first['case']['id']}", "referrer").json()["members"]
    assert [m["relationship"] for m in members] == ["self", "child", "parent", "child"]
    assert members[1]["referral_id"] == kid
    assert len({m["referral_id"] for m in members}) == 4
    assert len([e for e in audited(router_engine, "create") if e.entity_type == "family_case"]) == 1
    assert len(audited(router_engine, "link_family")) == 3

    # The kind of an existing case is kept: another kind is a conflict, and changes nothing.
    other = api.post(
        f"/referrals/{mother['id']}/family",
        "referrer",
        {"kind": "bereaved_family", "members": [child(5)]},
    )
    assert other.status_code == 409, other.text
    assert other.json()["code"] == "family_kind_mismatch"
    assert len(api.get(f"/family/{first['case']['id']}", "referrer").json()["members"]) == 4


def test_a_closed_referral_takes_no_family_members(api: Api) -> None:
    mother = api.refer()
    linked = _link(api, mother["id"], "referrer", child(8))
    kid = linked["created"][0]["referral_id"]
    handover = api.handover(api.get(f"/referrals/{kid}", "referrer").json(), YOUNG)
    for action, body in (
        ("accept", None),
        ("contact", None),
        ("complete", {"outcomes": {"young_victim_support": "improved"}}),
    ):
        got = api.act(handover["id"], action, "young", body)
        assert got.status_code == 200, got.text
    assert api.get(f"/referrals/{kid}", "referrer").json()["status"] == "closed"

    got = api.post(
        f"/referrals/{kid}/family", "referrer", {"kind": "household", "members": [child(3)]}
    )
    assert got.status_code == 409, got.text
    assert got.json()["code"] == "referral_closed"
    members = api.get(f"/referrals/{mother['id']}/family", "referrer").json()["members"]
    assert len(members) == 2
    assert members[1]["status"] == "closed"
