"""POST /referrals/{id}/refusals: the victim says no to a service, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from services.router.choices.models import REFUSED_REASON
from tests.router.api.helpers import PROBLEM_JSON, Api, audited

from .helpers import events, webhooks

IDVA = "idva-cambridgeshire"


def kinds(api: Api, referral_id: str) -> list[str]:
    got = api.get(f"/referrals/{referral_id}/timeline", "referrer")
    assert got.status_code == 200, got.text
    return [e["kind"] for e in got.json()["events"]]


def refuse(api: Api, referral_id: str, service_id: str, who: str = "referrer", **more: Any) -> Any:
    return api.post(f"/referrals/{referral_id}/refusals", who, {"service_id": service_id, **more})


def test_a_refusal_cancels_at_once_and_replans_without_the_service(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer()
    idva = api.handover(r, IDVA)
    assert api.act(idva["id"], "accept", "idva").status_code == 200

    got = refuse(api, r["id"], IDVA, reason="I do not want an IDVA")
    assert got.status_code == 201, got.text
    body = got.json()
    assert body["choice"]["kind"] == "refusal"
    assert body["choice"]["changed"] is True
    assert body["choice"]["said_by"] == "test-referrer"
    assert body["choice"]["reason"] == "I do not want an IDVA"
    diff = body["diff"]
    # The victim's choice overrides the warm-release rule: released now, waiting for nobody.
    assert diff["release"][0] == {
        "service_id": IDVA,
        "reason": REFUSED_REASON,
        "after": [],
        "acting_lead": True,
    }
    assert diff["lead_before"] == IDVA
    assert [h["service_id"] for h in diff["start"]] == ["womens-aid-refuge"]
    plan = body["referral"]["plan"]
    assert plan["lead"] == plan["acting_lead"] == "womens-aid-refuge"
    assert IDVA not in [h["service_id"] for h in plan["handovers"]]
    assert body["referral"]["victim"]["refused_services"] == [IDVA]
    assert body["without_lead"] is False
    assert body["told"] == [
        {
            "type": "handover.cancelled",
            "handover_id": idva["id"],
            "service_id": IDVA,
            "provider_id": "idva-service",
        }
    ]
    [cancelled] = events(router_engine, r["id"], "handover.cancelled")
    assert cancelled.payload["data"]["reason"] == REFUSED_REASON
    assert cancelled.payload["data"]["status"] == "cancelled"
    assert "victim" not in cancelled.payload["data"]  # thin, as every webhook
    timeline = kinds(api, r["id"])
    assert "victim.refused" in timeline and "lead.refused" in timeline
    [event] = audited(router_engine, "refuse_service")
    assert event.actor_name == "test-referrer"
    assert event.after is not None and event.after["cancelled"] == idva["id"]

    # The refused service can no longer read the victim's details.
    read = api.get(f"/handovers/{idva['id']}", "idva").json()
    assert read["status"] == "cancelled" and read["shared"] is None


def test_the_refused_provider_is_never_told_anything_again(api: Api, router_engine: Engine) -> None:
    r = api.refer()
    idva = api.handover(r, IDVA)
    api.act(idva["id"], "accept", "idva")
    assert refuse(api, r["id"], IDVA).status_code == 201
    before = [w for w in webhooks(router_engine, r["id"]) if w[1] == IDVA]
    assert before == [("handover.requested", IDVA), ("handover.cancelled", IDVA)]

    # Everything that tells providers something: a reassessment, a pause and its end, new
    # contact preferences, consent withdrawn; and a plan that would choose the IDVA again.
    again = api.post(
        f"/referrals/{r['id']}/assessments",
        "referrer",
        {"dash_score": 20, "needs": {"domestic_abuse_advocacy": 3, "accommodation": 3}},
    )
    assert again.status_code == 201, again.text
    assert IDVA not in [h["service_id"] for h in again.json()["referral"]["plan"]["handovers"]]
    assert (
        api.post(f"/referrals/{r['id']}/pause", "referrer", {"reason": "away"}).status_code == 200
    )
    assert api.post(f"/referrals/{r['id']}/resume", "referrer").status_code == 200
    contact = {"channels": ["email"], "safe_times": None, "do_not_contact": False}
    assert (
        api.client.put(
            f"/referrals/{r['id']}/contact", json=contact, headers=api.keys.of("referrer")
        ).status_code
        == 200
    )
    withdrawn = api.post(f"/referrals/{r['id']}/consent/withdraw", "referrer", {"reason": "no"})
    assert withdrawn.status_code == 200
    assert IDVA not in [t["service_id"] for t in withdrawn.json()["told"]]

    after = [w for w in webhooks(router_engine, r["id"]) if w[1] == IDVA]
    assert after == before
    # The others were told.
    assert ("referral.reassessed", "housing-cambridge") in webhooks(router_engine, r["id"])


def test_refusing_twice_changes_nothing(api: Api, router_engine: Engine) -> None:
    r = api.refer()
    assert refuse(api, r["id"], "housing-cambridge").status_code == 201
    queued = webhooks(router_engine, r["id"])
    again = refuse(api, r["id"], "housing-cambridge", reason="still no")
    assert again.status_code == 200, again.text
    assert again.json()["choice"]["changed"] is False
    assert again.json()["told"] == [] and again.json()["diff"] is None
    assert webhooks(router_engine, r["id"]) == queued
    assert again.json()["referral"]["victim"]["refused_services"] == ["housing-cambridge"]
    assert len(audited(router_engine, "refuse_service")) == 1


def test_refusing_a_service_not_in_the_plan_is_recorded_for_later_plans(api: Api) -> None:
    r = api.refer()
    got = refuse(api, r["id"], "womens-aid-refuge")
    assert got.status_code == 201, got.text
    assert got.json()["told"] == []
    assert got.json()["diff"]["start"] == [] and got.json()["diff"]["release"] == []
    # The IDVA declines: the next best would be the refuge, which the victim refused.
    idva = api.handover(r, IDVA)
    assert api.act(idva["id"], "decline", "idva", {"reason": "full"}).status_code == 200
    plan = api.get(f"/referrals/{r['id']}", "referrer").json()["plan"]
    assert "womens-aid-refuge" not in [h["service_id"] for h in plan["handovers"]]


def test_refusing_the_lead_of_a_high_risk_victim_with_no_replacement_is_flagged(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer(assessment={"needs": {"domestic_abuse_advocacy": 3}})
    assert r["risk_level"] == "high"
    assert refuse(api, r["id"], "womens-aid-refuge").status_code == 201
    # The lead provider records it, on the victim's word.
    got = refuse(api, r["id"], IDVA, who="idva", reason="the victim wants no advocate")
    assert got.status_code == 201, got.text
    body = got.json()
    assert body["without_lead"] is True
    assert body["warnings"] and "stays responsible" in body["warnings"][0]
    assert body["referral"]["plan"]["lead"] is None
    assert body["referral"]["plan"]["acting_lead"] is None
    assert [u["need"] for u in body["referral"]["plan"]["unmet"]] == ["domestic_abuse_advocacy"]
    # The provider sees nothing of the victim now: it is no longer on the case.
    assert body["referral"]["victim"] == {}
    timeline = kinds(api, r["id"])
    assert {"lead.refused", "lead.missing"} <= set(timeline)
    [event] = [e for e in audited(router_engine, "refuse_service") if e.actor_name == "test-idva"]
    assert event.after is not None and event.after["without_lead"] is True


def test_an_unknown_service_or_a_bad_body_is_422_and_changes_nothing(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer()
    queued = webhooks(router_engine, r["id"])
    for body in (
        {"service_id": "no-such-service"},
        {},
        {"service_id": ""},
        {"service_id": IDVA, "colour": "blue"},
        {"service_id": IDVA, "reason": "   "},
        {"service_id": 7},
    ):
        got = api.post(f"/referrals/{r['id']}/refusals", "referrer", body)
        assert got.status_code == 422, (body, got.text)
        assert got.headers["content-type"].startswith(PROBLEM_JSON)
    assert webhooks(router_engine, r["id"]) == queued
    victim = api.get(f"/referrals/{r['id']}", "referrer").json()["victim"]
    assert victim["refused_services"] == []


def test_a_handover_not_sent_yet_is_cancelled_without_telling_its_provider(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer(
        source={"kind": "self", "reference": None},
        victim={"age": 70},
        incident={"kind": "burglary"},
        assessment={"dash_score": None, "needs": {"home_security": 2}},
    )
    assert api.handover(r, "bobby-scheme")["status"] == "proposed"
    got = refuse(api, r["id"], "bobby-scheme")
    assert got.status_code == 201, got.text
    assert got.json()["told"] == []
    assert got.json()["diff"]["release"][0]["service_id"] == "bobby-scheme"
    assert "bobby-scheme" not in [
        h["service_id"] for h in got.json()["referral"]["plan"]["handovers"]
    ]
    assert [w for w in webhooks(router_engine, r["id"]) if w[1] == "bobby-scheme"] == []
