"""Pausing contact, resuming it, and new contact preferences, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx2
from sqlalchemy import Engine

from graph.plan import local_date
from tests.router.api.helpers import Api, audited

from .helpers import events, webhooks

IDVA = "idva-cambridgeshire"
HOUSING = "housing-cambridge"


def today() -> dt.date:
    return local_date(dt.datetime.now(dt.UTC))


def put_contact(api: Api, referral_id: str, body: Any, who: str = "referrer") -> httpx2.Response:
    return api.client.put(f"/referrals/{referral_id}/contact", json=body, headers=api.keys.of(who))


def test_a_pause_tells_warm_providers_and_shows_in_their_details(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer()
    idva = api.handover(r, IDVA)
    api.act(idva["id"], "accept", "idva")
    until = today() + dt.timedelta(days=7)

    got = api.post(
        f"/referrals/{r['id']}/pause",
        "referrer",
        {"until": until.isoformat(), "reason": "in hospital"},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["pause"]["paused"] is True
    assert body["pause"]["until"] == until.isoformat()
    assert body["pause"]["by"] == "test-referrer"
    assert sorted((t["type"], t["service_id"]) for t in body["told"]) == [
        ("referral.paused", HOUSING),
        ("referral.paused", IDVA),
    ]
    paused = events(router_engine, r["id"], "referral.paused")
    assert {e.payload["data"]["paused_until"] for e in paused} == {until.isoformat()}
    assert all("in hospital" not in str(e.payload) for e in paused)  # thin: no reason
    # Handovers are not cancelled.
    statuses = {h["service_id"]: h["status"] for h in body["referral"]["plan"]["handovers"]}
    assert statuses == {IDVA: "accepted", HOUSING: "requested"}
    contact = api.get(f"/handovers/{idva['id']}", "idva").json()["shared"]["victim"]["contact"]
    assert contact["do_not_contact"] is True
    assert contact["do_not_contact_until"] == until.isoformat()
    assert contact["channels"] == ["phone"]

    resumed = api.post(f"/referrals/{r['id']}/resume", "referrer")
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["pause"]["paused"] is False
    assert sorted(t["service_id"] for t in resumed.json()["told"]) == [HOUSING, IDVA]
    assert len(events(router_engine, r["id"], "referral.resumed")) == 2
    contact = api.get(f"/handovers/{idva['id']}", "idva").json()["shared"]["victim"]["contact"]
    assert contact == {
        "channels": ["phone"],
        "safe_times": "weekdays 9-12",
        "do_not_contact": False,
    }

    timeline = api.get(f"/referrals/{r['id']}/timeline", "idva").json()["events"]
    kinds = [e["kind"] for e in timeline]
    assert kinds.index("contact.paused") < kinds.index("contact.resumed")
    assert [e.action for e in audited(router_engine, "pause_contact")] == ["pause_contact"]
    assert len(audited(router_engine, "resume_contact")) == 1


def test_an_open_ended_pause_and_idempotent_resumes(api: Api, router_engine: Engine) -> None:
    r = api.refer()
    got = api.post(f"/referrals/{r['id']}/pause", "admin", {"until": None, "reason": "not now"})
    assert got.status_code == 200, got.text
    assert got.json()["pause"]["until"] is None
    h = api.handover(r, IDVA)
    contact = api.get(f"/handovers/{h['id']}", "idva").json()["shared"]["victim"]["contact"]
    assert contact["do_not_contact"] is True and contact["do_not_contact_until"] is None
    queued = webhooks(router_engine, r["id"])
    same = api.post(f"/referrals/{r['id']}/pause", "admin", {"until": None, "reason": "not now"})
    assert same.json()["choice"]["changed"] is False
    assert webhooks(router_engine, r["id"]) == queued
    assert api.post(f"/referrals/{r['id']}/resume", "admin").json()["choice"]["changed"] is True
    again = api.post(f"/referrals/{r['id']}/resume", "admin")
    assert again.status_code == 200 and again.json()["choice"]["changed"] is False
    assert again.json()["told"] == []


def test_signpost_providers_are_not_told_of_a_pause(api: Api) -> None:
    r = api.refer(victim={"consent_to_share": False})
    got = api.post(f"/referrals/{r['id']}/pause", "referrer", {"reason": "later"})
    assert got.status_code == 200 and got.json()["told"] == []


def test_bad_pauses_are_422(api: Api) -> None:
    r = api.refer()
    path = f"/referrals/{r['id']}/pause"
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    for body in (
        {"until": yesterday, "reason": "x"},
        {"until": "next week", "reason": "x"},
        {"until": 20261231, "reason": "x"},
        {"until": None},
        {"reason": "x", "colour": "blue"},
    ):
        got = api.post(path, "referrer", body)
        assert got.status_code == 422, (body, got.text)
    assert api.post(f"/referrals/{r['id']}/resume", "referrer").json()["choice"]["changed"] is False


def test_new_contact_preferences_replace_the_old_and_tell_warm_providers(
    api: Api, router_engine: Engine
) -> None:
    r = api.refer()
    new = {"channels": ["email", "text"], "safe_times": "evenings", "do_not_contact": False}
    got = put_contact(api, r["id"], new, who="idva")  # the lead provider, on the victim's word
    assert got.status_code == 200, got.text
    assert got.json()["choice"]["said_by"] == "test-idva"
    assert sorted(t["service_id"] for t in got.json()["told"]) == [HOUSING, IDVA]
    changed = events(router_engine, r["id"], "referral.contact_changed")
    assert len(changed) == 2 and all("email" not in str(e.payload) for e in changed)
    victim = api.get(f"/referrals/{r['id']}", "referrer").json()["victim"]
    assert victim["contact"] == new
    # The provider reads them with its key, and that read is audited.
    h = api.handover(r, HOUSING)
    assert api.get(f"/handovers/{h['id']}", "housing").json()["shared"]["victim"]["contact"] == new
    assert any(e.entity_id == h["id"] for e in audited(router_engine, "read"))
    [change] = audited(router_engine, "change_contact")
    assert change.after == {"contact": new}
    kinds = [
        e["kind"] for e in api.get(f"/referrals/{r['id']}/timeline", "referrer").json()["events"]
    ]
    assert "contact.changed" in kinds

    queued = webhooks(router_engine, r["id"])
    assert put_contact(api, r["id"], new).json()["choice"]["changed"] is False
    assert webhooks(router_engine, r["id"]) == queued


def test_bad_contact_preferences_are_422(api: Api) -> None:
    r = api.refer()
    bad: list[Any] = [
        {"channels": ["pigeon"]},
        {"channels": "phone"},
        {"do_not_contact": "yes"},
        {"safe_times": "x" * 201},
        {"channels": [], "extra": 1},
        [],
    ]
    for body in bad:
        assert put_contact(api, r["id"], body).status_code == 422, body
