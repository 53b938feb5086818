"""Each person's data is seen only by the providers on their own plan, family or not."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.router.api.helpers import Api

from .helpers import IDVA, YOUNG, child


def _household(api: Api) -> tuple[dict[str, Any], list[str], str]:
    """A mother (led by the IDVA) and two children (the young victims service), linked by the
    IDVA: the mother's referral, the children's referral ids and the case id."""
    mother = api.refer()
    got = api.post(
        f"/referrals/{mother['id']}/family",
        "idva",
        {"kind": "household", "members": [child(7), child(12)]},
    )
    assert got.status_code == 201, got.text
    case_id = got.json()["case"]["id"]
    family = api.get(f"/family/{case_id}", "referrer").json()
    kids = [m["referral_id"] for m in family["members"] if m["relationship"] == "child"]
    assert len(kids) == 2
    return mother, kids, case_id


def _same_as_missing(api: Api, who: str, method: str, path: str, real: str) -> int:
    """The answer for ``real`` is the answer for an id that names nothing."""
    missing = str(uuid.uuid4())
    call = api.get if method == "GET" else api.post
    got = call(path.format(real), who)
    absent = call(path.format(missing), who)
    assert got.status_code == absent.status_code, (path, got.text, absent.text)
    assert got.json().get("code") == absent.json().get("code"), (path, got.text, absent.text)
    doc = got.json()
    doc.pop("instance", None)  # the path asked for, echoed
    assert real not in json.dumps(doc)
    return got.status_code


def test_the_idva_on_the_mothers_plan_learns_nothing_of_the_children(api: Api) -> None:
    mother, kids, case_id = _household(api)
    kid_handovers = [
        h["id"]
        for kid in kids
        for h in api.get(f"/referrals/{kid}", "referrer").json()["plan"]["handovers"]
    ]
    for kid in kids:
        # Reading the referral is for referrers and admins: the IDVA's role is refused the
        # same for every id.
        assert _same_as_missing(api, "idva", "GET", "/referrals/{}", kid) == 403
        for path in (
            "/referrals/{}/timeline",
            "/referrals/{}/letter",
            "/referrals/{}/family",
        ):
            assert _same_as_missing(api, "idva", "GET", path, kid) == 404
    for handover_id in kid_handovers:
        assert _same_as_missing(api, "idva", "GET", "/handovers/{}", handover_id) == 404

    # Nor do its listings or the family case name them.
    for status in ("", "?status=requested", "?status=proposed"):
        listing = api.get(f"/handovers{status}", "idva")
        assert listing.status_code == 200
        for hidden in (*kids, *kid_handovers):
            assert hidden not in listing.text
    mine = api.handover(mother, IDVA)["id"]
    assert mine in api.get("/handovers?status=requested", "idva").text
    for path in (f"/family/{case_id}", f"/referrals/{mother['id']}/family"):
        got = api.get(path, "idva")
        assert got.status_code == 200, got.text
        members = got.json()["members"]
        assert [(m["referral_id"], m["relationship"]) for m in members] == [(mother["id"], "self")]
        for hidden in kids:
            assert hidden not in got.text
    # Its own case's timeline says the family was linked, naming no one.
    story = api.get(f"/referrals/{mother['id']}/timeline", "idva")
    assert story.status_code == 200
    for hidden in (*kids, *kid_handovers):
        assert hidden not in story.text


def test_the_young_victims_service_sees_the_children_and_nothing_of_the_mother(
    api: Api,
) -> None:
    mother, kids, case_id = _household(api)
    listing = api.get("/handovers?status=requested", "young")
    assert listing.status_code == 200
    mine = [h for h in listing.json()["items"] if h["service_id"] == YOUNG]
    assert sorted(h["referral_id"] for h in mine) == sorted(kids)
    for h in mine:
        detail = api.get(f"/handovers/{h['id']}", "young")
        assert detail.status_code == 200
        shared = detail.json()["shared"]
        assert shared is not None and shared["victim"]["age"] in (7, 12)
    for kid in kids:
        assert api.get(f"/referrals/{kid}/timeline", "young").status_code == 200
        assert api.get(f"/referrals/{kid}/letter", "young").status_code == 200
        story = api.get(f"/referrals/{kid}/timeline", "young").text
        assert mother["id"] not in story and all(k not in story for k in kids if k != kid)
        assert "idva" not in story.lower()  # who linked them is the mother's business

    # The mother's referral, handovers and timeline do not exist for it.
    for path in ("/referrals/{}/timeline", "/referrals/{}/letter", "/referrals/{}/family"):
        assert _same_as_missing(api, "young", "GET", path, mother["id"]) == 404
    for h in mother["plan"]["handovers"]:
        assert _same_as_missing(api, "young", "GET", "/handovers/{}", h["id"]) == 404
        assert h["id"] not in listing.text
    assert mother["id"] not in listing.text

    family = api.get(f"/family/{case_id}", "young")
    assert family.status_code == 200
    assert [m["referral_id"] for m in family.json()["members"]] == kids
    assert mother["id"] not in family.text
    assert api.get(f"/referrals/{kids[0]}/family", "young").json() == family.json()

    # It may not link family members to the mother's referral, nor learn that it exists.
    body = {"kind": "household", "members": [child(5)]}
    got = api.post(f"/referrals/{mother['id']}/family", "young", body)
    absent = api.post(f"/referrals/{uuid.uuid4()}/family", "young", body)
    assert got.status_code == absent.status_code == 404
    assert got.json()["code"] == absent.json()["code"] == "referral_not_found"


def test_a_provider_on_no_members_plan_finds_no_case(api: Api) -> None:
    _mother, kids, case_id = _household(api)
    for who in ("bobby", "victim_support", "referrer_b"):
        got = api.get(f"/family/{case_id}", who)
        absent = api.get(f"/family/{uuid.uuid4()}", who)
        assert got.status_code == absent.status_code == 404, got.text
        assert got.json()["code"] == absent.json()["code"] == "family_case_not_found"
        for kid in kids:
            got = api.get(f"/referrals/{kid}/family", who)
            assert got.status_code == 404
            assert got.json()["code"] == "referral_not_found"
    assert api.get(f"/family/{case_id}", "service").status_code == 403


def test_a_child_without_consent_is_a_signpost_and_not_shown_to_its_service(api: Api) -> None:
    mother = api.refer()
    got = api.post(
        f"/referrals/{mother['id']}/family",
        "referrer",
        {"kind": "household", "members": [child(6, consent_to_share=False), child(10)]},
    )
    assert got.status_code == 201, got.text
    quiet, shared = got.json()["created"]
    assert quiet["handovers"] == [{"service_id": YOUNG, "mode": "signpost", "status": "requested"}]
    family = api.get(f"/family/{got.json()['case']['id']}", "young")
    assert [m["referral_id"] for m in family.json()["members"]] == [shared["referral_id"]]
    assert quiet["referral_id"] not in family.text
