"""POST /referrals/{id}/consent/withdraw: no more sharing, mid-plan, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.router.api.helpers import Api, audited

from .helpers import events, webhooks

IDVA = "idva-cambridgeshire"
HOUSING = "housing-cambridge"


def test_withdrawing_consent_mid_plan_turns_every_handover_into_a_signpost(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer()
    idva, housing = api.handover(r, IDVA), api.handover(r, HOUSING)
    api.act(idva["id"], "accept", "idva")
    api.act(idva["id"], "contact", "idva")
    assert api.get(f"/handovers/{idva['id']}", "idva").json()["shared"] is not None
    assert api.get(f"/handovers/{housing['id']}", "housing").json()["shared"] is not None
    assert api.get(f"/referrals/{r['id']}/timeline", "idva").status_code == 200

    got = api.post(
        f"/referrals/{r['id']}/consent/withdraw", "referrer", {"reason": "the victim phoned"}
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["choice"] == {**body["choice"], "kind": "consent_withdrawn", "changed": True}
    referral = body["referral"]
    assert referral["victim"]["consent_to_share"] is False
    assert referral["plan"]["mode"] == "signpost"
    by_service = {h["service_id"]: h for h in referral["plan"]["handovers"]}
    assert {h["mode"] for h in by_service.values()} == {"signpost"}
    # Support already under way stays, as a signpost: the victim may still contact them.
    assert by_service[IDVA]["status"] == "in_progress"
    assert by_service[HOUSING]["status"] == "requested"

    # Each provider that was sent the details is told to stop using and delete them.
    told = events(router_engine, r["id"], "referral.consent_withdrawn")
    assert sorted(e.service_id for e in told) == [HOUSING, IDVA]
    for e in told:
        assert e.payload["data"]["action"] == "stop_using_and_delete_shared_details"
        assert e.payload["data"]["mode"] == "signpost"
        assert "victim" not in e.payload["data"]
    assert sorted(t["service_id"] for t in body["told"]) == [HOUSING, IDVA]
    notices = audited(router_engine, "told_consent_withdrawn")
    assert sorted(e.entity_id for e in notices) == sorted([idva["id"], housing["id"]])
    assert {e.actor_name for e in notices} == {"test-referrer"}
    [change] = audited(router_engine, "withdraw_consent")
    assert change.before is not None and change.after is not None
    assert (change.before["consent_to_share"], change.before["mode"]) == (True, "warm")
    assert (change.after["consent_to_share"], change.after["mode"]) == (False, "signpost")

    # The shared details are gone from every read a provider has.
    for who, h in (("idva", idva), ("housing", housing)):
        read = api.get(f"/handovers/{h['id']}", who)
        assert read.status_code == 200 and read.json()["shared"] is None
        assert api.get(f"/referrals/{r['id']}/timeline", who).status_code == 404
        assert api.get(f"/referrals/{r['id']}", who).status_code in (403, 404)
    # … including what the lead provider is shown when it records a choice.
    paused = api.post(f"/referrals/{r['id']}/pause", "idva", {"reason": "holiday"})
    assert paused.status_code == 200, paused.text
    assert paused.json()["referral"]["victim"] == {}
    assert paused.json()["referral"]["incident"] == {}
    assert paused.json()["told"] == []  # signposts hold no details and contact nobody
    timeline = api.get(f"/referrals/{r['id']}/timeline", "referrer").json()["events"]
    assert {"consent.withdrawn", "consent.told"} <= {e["kind"] for e in timeline}


def test_every_later_handover_is_a_signpost(api: Api) -> None:
    r = api.refer()
    api.post(f"/referrals/{r['id']}/consent/withdraw", "referrer", {"reason": "changed mind"})
    again = api.post(
        f"/referrals/{r['id']}/assessments",
        "referrer",
        {
            "dash_score": 16,
            "needs": {"domestic_abuse_advocacy": 3, "accommodation": 2, "home_security": 2},
        },
    )
    assert again.status_code == 201, again.text
    started = again.json()["diff"]["start"]
    assert started and {h["mode"] for h in started} == {"signpost"}
    handovers = again.json()["referral"]["plan"]["handovers"]
    assert {h["mode"] for h in handovers} == {"signpost"}


def test_withdrawing_twice_changes_nothing(api: Api, router_engine: Engine) -> None:
    r = api.refer()
    path = f"/referrals/{r['id']}/consent/withdraw"
    assert api.post(path, "admin", {"reason": "no"}).status_code == 200
    queued = webhooks(router_engine, r["id"])
    again = api.post(path, "admin", {"reason": "no"})
    assert again.status_code == 200
    assert again.json()["choice"]["changed"] is False and again.json()["told"] == []
    assert webhooks(router_engine, r["id"]) == queued
    assert len(audited(router_engine, "withdraw_consent")) == 1


def test_a_withdrawal_needs_a_reason(api: Api) -> None:
    r = api.refer()
    path = f"/referrals/{r['id']}/consent/withdraw"
    for body in ({}, {"reason": ""}, {"reason": "x", "consent": False}, None):
        assert api.post(path, "referrer", body).status_code == 422, body
    assert api.get(f"/referrals/{r['id']}", "referrer").json()["victim"]["consent_to_share"]
