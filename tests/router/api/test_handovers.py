"""The handover lifecycle through the API: transitions, re-routing, warm release."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from services.router.outbox.models import OutboxEvent

from .helpers import Api


def test_accept_contact_complete(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    accepted = api.act(idva["id"], "accept", "idva")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    contacted = api.act(idva["id"], "contact", "idva")
    assert contacted.json()["status"] == "in_progress"
    done = api.act(
        idva["id"], "complete", "idva", {"outcomes": {"domestic_abuse_advocacy": "improved"}}
    )
    assert done.status_code == 200, done.text
    assert done.json()["outcomes"] == {"domestic_abuse_advocacy": "improved"}


def test_an_illegal_transition_is_409_naming_the_status(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    response = api.act(idva["id"], "complete", "idva", {"outcomes": {}})
    assert response.status_code == 409
    assert "requested" in response.json()["detail"]
    api.act(idva["id"], "accept", "idva")
    again = api.act(idva["id"], "accept", "idva")
    assert again.status_code == 409 and "accepted" in again.json()["detail"]


def test_only_the_receiving_provider_may_act(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    assert api.act(idva["id"], "accept", "housing").status_code == 404
    assert api.get(f"/handovers/{idva['id']}", "housing").status_code == 404
    assert api.act(idva["id"], "accept", "referrer").status_code == 403
    assert api.act(idva["id"], "accept", "admin").status_code == 403


def test_outcomes_only_for_the_needs_the_handover_met(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    api.act(idva["id"], "accept", "idva")
    api.act(idva["id"], "contact", "idva")
    bad = api.act(idva["id"], "complete", "idva", {"outcomes": {"accommodation": "same"}})
    assert bad.status_code == 422


def test_a_decline_reroutes_to_the_next_best_service(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    declined = api.act(idva["id"], "decline", "idva", {"reason": "caseload full this week"})
    assert declined.status_code == 200
    after = api.get(f"/referrals/{r['id']}", "referrer").json()
    services = {h["service_id"]: h for h in after["plan"]["handovers"]}
    assert "idva-cambridgeshire" not in services
    assert services["womens-aid-refuge"]["needs"] == ["domestic_abuse_advocacy"]
    assert after["plan"]["lead"] == "womens-aid-refuge"
    timeline = api.get(f"/referrals/{r['id']}/timeline", "referrer").json()["events"]
    assert any("declined: caseload full this week" in e["text"] for e in timeline)
    assert any(e["kind"] == "referral.rerouted" for e in timeline)


def test_a_decline_with_nothing_else_leaves_the_need_visibly_unmet(api: Api) -> None:
    r = api.refer(victim={"sex": "male"})
    idva = api.handover(r, "idva-cambridgeshire")
    api.act(idva["id"], "decline", "idva", {"reason": "conflict of interest"})
    after = api.get(f"/referrals/{r['id']}", "referrer").json()
    [unmet] = after["plan"]["unmet"]
    assert unmet["need"] == "domestic_abuse_advocacy"
    reasons = {x["service_id"]: x["failed"] for x in unmet["reasons"]}
    assert reasons["idva-cambridgeshire"] == ["declined"]


def test_escalation_hands_over_and_releases_only_after_first_contact(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer(
        victim={"sex": "male"},
        assessment={
            "dash_score": 4,
            "flags": [],
            "incidents_last_12_months": 0,
            "needs": {"emotional_support": 2},
        },
    )
    assert r["plan"]["lead"] == "victim-support-enhanced"
    vs = api.handover(r, "victim-support-enhanced")
    api.act(vs["id"], "accept", "victim_support")
    api.act(vs["id"], "contact", "victim_support")

    reassessed = api.post(
        f"/referrals/{r['id']}/assessments",
        "victim_support",
        {"dash_score": 17, "needs": {"emotional_support": 0}},
    )
    assert reassessed.status_code == 201, reassessed.text
    diff = reassessed.json()["diff"]
    [start] = diff["start"]
    assert start["service_id"] == "idva-cambridgeshire"
    assert start["from"] == "victim-support-enhanced"  # warm handover from the current lead
    assert start["status"] == "requested"
    assert diff["release"] == [
        {
            "service_id": "victim-support-enhanced",
            "reason": diff["release"][0]["reason"],
            "after": ["idva-cambridgeshire"],
            "acting_lead": True,
        }
    ]
    referral = reassessed.json()["referral"]
    assert referral["plan"]["lead"] == "idva-cambridgeshire"
    assert referral["plan"]["acting_lead"] == "victim-support-enhanced"

    def status(service_id: str) -> str:
        got = api.get(f"/referrals/{r['id']}", "referrer").json()
        for h in got["plan"]["handovers"]:
            if h["service_id"] == service_id:
                return str(h["status"])
        return "gone"

    api.act(start["id"], "accept", "idva")
    assert status("victim-support-enhanced") == "in_progress"  # not yet: no first contact
    api.act(start["id"], "contact", "idva")
    assert status("victim-support-enhanced") == "gone"
    final = api.get(f"/referrals/{r['id']}", "referrer").json()
    assert final["plan"]["acting_lead"] == "idva-cambridgeshire"
    with Session(router_engine) as session:
        types = [
            e.type
            for e in session.exec(
                select(OutboxEvent).where(OutboxEvent.service_id == "victim-support-enhanced")
            )
        ]
    assert "handover.cancelled" in types


def test_reassessment_rights(api: Api) -> None:
    r = api.refer()
    body = {"dash_score": 16, "needs": {"domestic_abuse_advocacy": 3}}
    assert api.post(f"/referrals/{r['id']}/assessments", "referrer_b", body).status_code == 404
    assert api.post(f"/referrals/{r['id']}/assessments", "bobby", body).status_code == 404
    assert api.post(f"/referrals/{r['id']}/assessments", "housing", body).status_code == 403
    assert api.post(f"/referrals/{r['id']}/assessments", "idva", body).status_code == 201
    assert api.post(f"/referrals/{r['id']}/assessments", "referrer", body).status_code == 201
    assert api.post(f"/referrals/{r['id']}/assessments", "admin", body).status_code == 201


def test_providers_list_their_own_handovers(api: Api) -> None:
    api.refer()
    mine = api.get("/handovers", "idva", params={"status": "requested"}).json()["items"]
    assert [h["service_id"] for h in mine] == ["idva-cambridgeshire"]
    assert api.get("/handovers", "bobby").json()["items"] == []
    assert len(api.get("/handovers", "admin").json()["items"]) == 2
    assert api.get("/handovers", "referrer").status_code == 403


def test_satisfaction_is_recorded_at_completion_on_the_common_scale(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    api.act(idva["id"], "accept", "idva")
    api.act(idva["id"], "contact", "idva")
    body = {
        "outcomes": {"domestic_abuse_advocacy": "improved"},
        "satisfaction": {"score": 4, "reason": "  She felt listened to.  "},
    }
    done = api.act(idva["id"], "complete", "idva", body)
    assert done.status_code == 200, done.text
    assert done.json()["satisfaction"] == {"score": 4, "reason": "She felt listened to."}
    again = api.get(f"/handovers/{idva['id']}", "idva").json()
    assert again["satisfaction"] == {"score": 4, "reason": "She felt listened to."}
    timeline = api.get(f"/referrals/{r['id']}/timeline", "referrer").json()["events"]
    assert any("satisfaction 4 of 5" in e["text"] for e in timeline)


def test_satisfaction_may_be_left_out_but_not_off_the_scale(api: Api) -> None:
    r = api.refer()
    idva = api.handover(r, "idva-cambridgeshire")
    api.act(idva["id"], "accept", "idva")
    api.act(idva["id"], "contact", "idva")
    for bad in (0, 6, 2.5, "4", True, None):
        response = api.act(
            idva["id"],
            "complete",
            "idva",
            {"outcomes": {}, "satisfaction": {"score": bad}},
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"/handovers/{idva['id']}", "idva").json()["status"] == "in_progress"
    done = api.act(idva["id"], "complete", "idva", {"outcomes": {}})
    assert done.status_code == 200 and done.json()["satisfaction"] is None
