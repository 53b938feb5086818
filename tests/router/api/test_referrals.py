"""POST/GET /referrals, the timeline and idempotency, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from services.common.audit.models import AuditEvent
from services.router.outbox.models import OutboxEvent
from services.router.referrals.models import Referral

from .fakes import FakeDirectory
from .helpers import PROBLEM_JSON, Api, referral_body


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_referral_is_planned_and_stored(api: Api, router_engine: Engine) -> None:
    r = api.refer()
    assert r["risk_level"] == "high"
    assert r["enhanced"] is True
    assert r["marac"] == {"due": True, "criterion": "score", "criteria": ["score"]}
    assert r["deadlines"] == {"refer_by": "2026-11-24", "first_update_by": "2026-11-23"}
    assert r["directory_version"] == "v1"
    assert r["directory"]["stale"] is False
    plan = r["plan"]
    assert plan["lead"] == "idva-cambridgeshire"
    assert plan["acting_lead"] == "idva-cambridgeshire"
    idva = api.handover(r, "idva-cambridgeshire")
    assert idva["status"] == "requested"
    assert idva["from"] == "entry:police"
    assert idva["mode"] == "warm"
    assert idva["respond_by"] is not None
    assert idva["explanation"]["role"] == "lead"
    assert api.handover(r, "housing-cambridge")["needs"] == ["accommodation"]
    # One webhook per requested handover, written in the same transaction.
    assert count(router_engine, OutboxEvent) == len(plan["handovers"])
    got = api.get(f"/referrals/{r['id']}", "referrer")
    assert got.status_code == 200
    assert got.json()["plan"] == plan


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({"victim": {"age": 130}}, "age"),
        ({"victim": {"area": "Cambridge"}}, "area"),
        ({"victim": {"age": 34.5}}, "age"),
        ({"victim": {"consent_to_share": "yes"}}, "consent_to_share"),
        ({"incident": {"kind": "arson"}}, "kind"),
        ({"incident": {"occurred_on": "2999-01-01"}}, "occurred_on"),
        ({"assessment": {"dash_score": 25}}, "dash_score"),
        ({"assessment": {"needs": {"refuge": 4}}}, "refuge"),
        ({"assessment": {"needs": {"hugs": 1}}}, "needs"),
        ({"assessment": {"colour": "blue"}}, "colour"),
    ],
)
def test_bad_referrals_are_422_naming_the_field_and_store_nothing(
    api: Api, router_engine: Engine, parts: dict[str, dict[str, object]], field: str
) -> None:
    response = api.post("/referrals", "referrer", referral_body(**parts))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    problem = response.json()
    assert any(
        field in [str(p) for p in e["loc"]] or field in e["msg"] for e in problem["errors"]
    ), problem
    assert count(router_engine, Referral) == 0
    assert count(router_engine, OutboxEvent) == 0


def test_only_referrers_may_refer(api: Api) -> None:
    assert api.post("/referrals", "idva", referral_body()).status_code == 403
    assert api.post("/referrals", "admin", referral_body()).status_code == 403
    assert api.client.post("/referrals", json=referral_body()).status_code == 401


def test_a_referrer_sees_only_its_own(api: Api) -> None:
    mine = api.refer("referrer")
    theirs = api.refer("referrer_b")
    assert api.get(f"/referrals/{theirs['id']}", "referrer").status_code == 404
    listed = api.get("/referrals", "referrer").json()
    assert [x["id"] for x in listed["items"]] == [mine["id"]]
    assert "victim" not in listed["items"][0]
    everything = api.get("/referrals", "admin").json()
    assert {x["id"] for x in everything["items"]} == {mine["id"], theirs["id"]}
    assert api.get("/referrals", "idva").status_code == 403


def test_reading_a_referral_is_audited(api: Api, router_engine: Engine) -> None:
    r = api.refer()
    api.get(f"/referrals/{r['id']}", "referrer")
    with Session(router_engine) as session:
        reads = session.exec(
            select(AuditEvent).where(AuditEvent.action == "read", AuditEvent.entity_id == r["id"])
        ).all()
    assert [e.actor_name for e in reads] == ["test-referrer"]


def test_idempotency_key_replays_the_first_response(api: Api, router_engine: Engine) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    first = api.post("/referrals", "referrer", referral_body(), headers=headers)
    again = api.post("/referrals", "referrer", referral_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count(router_engine, Referral) == 1
    other = api.post("/referrals", "referrer", referral_body(victim={"age": 35}), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    # Keys belong to the caller: another referrer's same key is a new referral.
    theirs = api.post("/referrals", "referrer_b", referral_body(), headers=headers)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


def test_a_failed_request_does_not_burn_its_idempotency_key(api: Api) -> None:
    headers = {"Idempotency-Key": "k-1"}
    bad = api.post("/referrals", "referrer", referral_body(victim={"age": 999}), headers=headers)
    assert bad.status_code == 422
    good = api.post("/referrals", "referrer", referral_body(victim={"age": 999}), headers=headers)
    assert good.status_code == 422  # same body, still bad; not a replay of a stored answer


def test_self_referral_starts_from_entry_self(api: Api) -> None:
    r = api.refer(
        source={"kind": "self", "reference": None},
        victim={"age": 70},
        incident={"kind": "burglary"},
        assessment={"dash_score": None, "needs": {"home_security": 2}},
    )
    assert r["plan"]["entry"] == "entry:self"
    bobby = api.handover(r, "bobby-scheme")
    assert bobby["from"] != "entry:self"
    assert bobby["status"] == "proposed"  # sent once the service before it takes the victim on


def test_no_consent_means_signposts(api: Api) -> None:
    r = api.refer(victim={"consent_to_share": False})
    assert {h["mode"] for h in r["plan"]["handovers"]} == {"signpost"}
    idva = api.handover(r, "idva-cambridgeshire")
    detail = api.get(f"/handovers/{idva['id']}", "idva").json()
    assert detail["shared"] is None


def test_timeline_in_plain_words(api: Api) -> None:
    r = api.refer()
    timeline = api.get(f"/referrals/{r['id']}/timeline", "referrer")
    assert timeline.status_code == 200
    texts = [e["text"] for e in timeline.json()["events"]]
    assert texts[0].startswith("Referral received from the police (reference CC/2026/004211)")
    assert any("MARAC" in t for t in texts)
    assert any("asked to take the victim on" in t for t in texts)
    # Providers on the case may read it; others may not know it exists.
    assert api.get(f"/referrals/{r['id']}/timeline", "idva").status_code == 200
    assert api.get(f"/referrals/{r['id']}/timeline", "bobby").status_code == 404
    assert api.get(f"/referrals/{r['id']}/timeline", "referrer_b").status_code == 404


def test_the_directory_down_still_plans_from_the_last_snapshot(
    api: Api, fake_directory: FakeDirectory
) -> None:
    api.refer()
    fake_directory.down = True
    r = api.refer()
    assert r["directory"]["stale"] is True
    assert r["directory_version"] == "v1"
    assert r["plan"]["lead"] == "idva-cambridgeshire"


def test_the_graph_is_rebuilt_only_when_the_version_changes(
    api: Api, fake_directory: FakeDirectory
) -> None:
    api.refer()
    api.refer()
    api.refer()
    assert fake_directory.full_snapshots == 1
    assert fake_directory.calls.count("/snapshot") >= 3  # asked each time (max age 0): 304s


def test_unknown_referral_is_404(api: Api) -> None:
    response = api.get("/referrals/00000000-0000-0000-0000-000000000000", "referrer")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


def test_language_and_access_needs_travel_with_a_warm_handover_only(api: Api) -> None:
    needs = {"language": "PL", "interpreter": True, "access_needs": ["easy_read", "home_visits"]}
    r = api.refer(victim=needs)
    assert r["victim"]["language"] == "pl"  # stored in canonical case
    idva = api.handover(r, "idva-cambridgeshire")
    shared = api.get(f"/handovers/{idva['id']}", "idva").json()["shared"]["victim"]
    assert (shared["language"], shared["interpreter"]) == ("pl", True)
    assert shared["access_needs"] == ["easy_read", "home_visits"]
    plain = api.handover(api.refer(), "idva-cambridgeshire")
    shared = api.get(f"/handovers/{plain['id']}", "idva").json()["shared"]["victim"]
    assert (shared["language"], shared["interpreter"], shared["access_needs"]) == (None, False, [])
    signpost = api.refer(victim={**needs, "consent_to_share": False})
    idva = api.handover(signpost, "idva-cambridgeshire")
    assert api.get(f"/handovers/{idva['id']}", "idva").json()["shared"] is None


def test_a_bad_language_or_access_code_is_a_422_naming_it(api: Api) -> None:
    for victim, where in (
        ({"language": "Polish"}, "language"),
        ({"language": "en_GB"}, "language"),
        ({"access_needs": ["wheelchair"]}, "access_needs"),
        ({"interpreter": "yes"}, "interpreter"),
    ):
        response = api.post("/referrals", "referrer", referral_body(victim=victim))
        assert response.status_code == 422, victim
        assert where in response.text


def test_a_referral_shows_its_next_review_and_any_pause(api: Api) -> None:
    r = api.refer()  # high risk: the first review 14 days after it arrived
    today = dt.datetime.now(dt.UTC).date()
    due = dt.date.fromisoformat(r["next_review_on"])
    assert dt.timedelta(days=13) <= due - today <= dt.timedelta(days=14)  # the day in England
    assert (r["contact_paused"], r["contact_paused_until"]) == (False, None)
    until = (today + dt.timedelta(days=7)).isoformat()
    paused = api.post(f"/referrals/{r['id']}/pause", "referrer", {"until": until, "reason": "away"})
    assert paused.status_code == 200, paused.text
    again = api.get(f"/referrals/{r['id']}", "referrer").json()
    assert (again["contact_paused"], again["contact_paused_until"]) == (True, until)
    assert again["next_review_on"] == r["next_review_on"]
