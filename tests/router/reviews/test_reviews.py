"""``POST /referrals/{id}/reviews`` and ``…/reviews/request``: rescheduling, escalation with the
warm-handover diff, bringing a review forward, the 4xx answers, the timeline and the audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.auth.schemas import Principal, Role
from services.common.db import utcnow, writer
from services.router.referrals.models import Referral
from services.router.reviews import service
from services.router.reviews.models import Review
from tests.router.api.helpers import PROBLEM_JSON, Api

from .helpers import DAY, audit_rows, due, received, refer, set_columns, timeline, today

NO_CHANGE = {"outcome": "no_change", "note": "Spoke to her: support is working."}


def review(api: Api, referral_id: str, who: str, body: Any) -> Any:
    return api.post(f"/referrals/{referral_id}/reviews", who, body)


def ask(api: Api, referral_id: str, who: str, body: Any) -> Any:
    return api.post(f"/referrals/{referral_id}/reviews/request", who, body)


def test_a_no_change_review_reschedules_from_today(api: Api, engine: Engine) -> None:
    r = refer(api)
    received(engine, r["id"], 16)  # high risk: due 2 days ago
    day = today()
    got = review(api, r["id"], "idva", NO_CHANGE)
    assert got.status_code == 201, got.text
    body = got.json()
    assert body["diff"] is None
    assert body["next_review_on"] == (day + 14 * DAY).isoformat()
    done = body["review"]
    assert {k: done[k] for k in ("seq", "outcome", "due_on", "done_on", "late", "risk_level")} == {
        "seq": 1,
        "outcome": "no_change",
        "due_on": (day - 2 * DAY).isoformat(),
        "done_on": day.isoformat(),
        "late": True,
        "risk_level": "high",
    }
    assert done["by"] == "test-idva" and done["note"] == NO_CHANGE["note"]
    assert done["assessment_seq"] is None

    assert due(api, "admin") == []
    [next_one] = due(api, "admin", day + 14 * DAY)
    assert next_one["last_reviewed_on"] == day.isoformat()
    assert any(
        "Review by test-idva, 2 days late: no change" in t and "next review is due by" in t
        for t in timeline(api, r["id"])
    )
    [event] = audit_rows(engine, "review", r["id"])
    assert event.after is not None
    assert event.after["outcome"] == "no_change" and event.after["late"] is True

    # An early review is on time, and reschedules from today all the same.
    again = review(api, r["id"], "referrer", {"outcome": "no_change"}).json()
    assert again["review"]["seq"] == 2 and again["review"]["late"] is False
    assert again["review"]["due_on"] == (day + 14 * DAY).isoformat()
    history = api.get(f"/referrals/{r['id']}/reviews", "admin").json()
    assert [x["seq"] for x in history["reviews"]] == [1, 2]
    assert history["next_review_on"] == (day + 14 * DAY).isoformat()


def test_a_review_that_escalates_risk_hands_over_warmly_and_reviews_in_14_days(
    api: Api, engine: Engine
) -> None:
    r = refer(api, "standard")
    assert r["plan"]["lead"] == "victim-support-enhanced"
    vs = api.handover(r, "victim-support-enhanced")
    assert api.act(vs["id"], "accept", "victim_support").status_code == 200
    assert api.act(vs["id"], "contact", "victim_support").status_code == 200
    received(engine, r["id"], 10)  # standard: due in 18 days
    day = today()

    got = review(
        api,
        r["id"],
        "victim_support",
        {
            "outcome": "reassessed",
            "assessment": {"dash_score": 17, "needs": {"emotional_support": 0}},
            "note": "New threats since the last contact.",
        },
    )
    assert got.status_code == 201, got.text
    body = got.json()
    [start] = body["diff"]["start"]
    assert start["service_id"] == "idva-cambridgeshire"
    assert start["from"] == "victim-support-enhanced" and start["mode"] == "warm"
    assert body["diff"]["release"][0]["after"] == ["idva-cambridgeshire"]
    done = body["review"]
    assert done["outcome"] == "reassessed" and done["risk_level"] == "high"
    assert done["due_on"] == (day + 18 * DAY).isoformat() and done["late"] is False
    assert done["assessment_seq"] == 2 and done["note"] == "New threats since the last contact."
    assert body["next_review_on"] == (day + 14 * DAY).isoformat()
    assert audit_rows(engine, "reassess", r["id"]) and audit_rows(engine, "review", r["id"])
    with Session(engine) as session:
        assert len(list(session.exec(select(Review)))) == 1


def test_a_reassessment_through_assessments_counts_as_a_review_once(
    api: Api, engine: Engine
) -> None:
    r = refer(api, "standard")
    received(engine, r["id"], 25)
    day = today()
    got = api.post(
        f"/referrals/{r['id']}/assessments",
        "referrer",
        {"dash_score": 17, "needs": {"emotional_support": 2}},
    )
    assert got.status_code == 201, got.text
    with Session(engine) as session:  # reassess_referral recorded it as a review
        assert [x.outcome for x in session.exec(select(Review))] == ["reassessed"]
    by = Principal(name="test-referrer", role=Role.REFERRER)
    with Session(writer(engine), expire_on_commit=False) as session:
        referral = session.get(Referral, r["id"])
        assert referral is not None and referral.risk_level == "high"
        # Recording it again is a no-op.
        first = service.record_reassessment(session=session, referral=referral, by=by, now=utcnow())
        second = service.record_reassessment(
            session=session, referral=referral, by=by, now=utcnow()
        )
        session.commit()
    assert first.id == second.id
    # Due by the risk level before the reassessment (standard: 28 days), so not late.
    assert first.due_on == day + 3 * DAY and first.late is False
    assert first.next_review_on == day + 14 * DAY and first.assessment_seq == 2
    [listed] = due(api, "admin", day + 14 * DAY)
    assert listed["due_on"] == (day + 14 * DAY).isoformat()


def test_who_may_review(api: Api) -> None:
    r = refer(api)
    assert review(api, r["id"], "referrer_b", NO_CHANGE).status_code == 404
    assert review(api, r["id"], "bobby", NO_CHANGE).status_code == 404  # not on the case
    not_lead = review(api, r["id"], "housing", NO_CHANGE)
    assert not_lead.status_code == 403 and not_lead.json()["code"] == "not_the_lead"
    assert review(api, r["id"], "service", NO_CHANGE).status_code == 403
    assert api.client.post(f"/referrals/{r['id']}/reviews", json=NO_CHANGE).status_code == 401
    missing = "00000000-0000-0000-0000-000000000000"
    assert review(api, missing, "admin", NO_CHANGE).status_code == 404
    for who in ("idva", "referrer", "admin"):
        assert review(api, r["id"], who, NO_CHANGE).status_code == 201
    assert api.get(f"/referrals/{r['id']}/reviews", "housing").status_code == 403
    assert api.get(f"/referrals/{r['id']}/reviews", "referrer_b").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"outcome": "maybe"},
        {"outcome": "reassessed"},
        {"outcome": "reassessed", "assessment": {"dash_score": 30, "needs": {}}},
        {"outcome": "no_change", "note": "   "},
        {"outcome": "no_change", "extra": 1},
        {"outcome": "no_change", "assessment": {"needs": {}}},
    ],
)
def test_bad_reviews_are_422_and_change_nothing(api: Api, engine: Engine, body: Any) -> None:
    r = refer(api)
    got = review(api, r["id"], "referrer", body)
    assert got.status_code == 422, got.text
    assert got.headers["content-type"] == PROBLEM_JSON
    with Session(engine) as session:
        assert list(session.exec(select(Review))) == []


def test_a_closed_referral_has_no_more_reviews(api: Api, engine: Engine) -> None:
    r = refer(api)
    set_columns(engine, r["id"], status="closed")
    for body in (
        NO_CHANGE,
        {"outcome": "reassessed", "assessment": {"dash_score": 16, "needs": {}}},
    ):
        got = review(api, r["id"], "referrer", body)
        assert got.status_code == 409 and got.json()["code"] == "referral_closed"
    asked = ask(api, r["id"], "referrer", {"review_by": today().isoformat(), "reason": "x"})
    assert asked.status_code == 409


def test_a_review_can_be_brought_forward(api: Api, engine: Engine) -> None:
    r = refer(api)  # high: due in 14 days
    day = today()
    body = {"review_by": (day + 3 * DAY).isoformat(), "reason": "  Offender released on bail. "}
    got = ask(api, r["id"], "housing", body)  # on the case, though not the lead
    assert got.status_code == 200, got.text
    assert got.json() == {
        "referral_id": r["id"],
        "next_review_on": (day + 3 * DAY).isoformat(),
        "requested_by": "test-housing",
        "reason": "Offender released on bail.",
    }
    [listed] = due(api, "idva", day + 3 * DAY)
    assert listed["brought_forward"] is True and listed["overdue"] is False
    assert any("asked for the next review sooner" in t for t in timeline(api, r["id"]))
    [event] = audit_rows(engine, "request_review", r["id"])
    assert event.before == {"next_review_on": (day + 14 * DAY).isoformat(), "reason": None}

    # Sooner again, even today; then the review is done and the request is spent.
    assert ask(api, r["id"], "referrer", {**body, "review_by": day.isoformat()}).status_code == 200
    done = review(api, r["id"], "idva", NO_CHANGE).json()
    assert done["review"]["due_on"] == day.isoformat() and done["review"]["late"] is False
    [after] = due(api, "admin", day + 14 * DAY)
    assert after["brought_forward"] is False


def test_only_sooner_and_not_in_the_past(api: Api, engine: Engine) -> None:
    r = refer(api)
    day = today()
    for review_by in (day - DAY, day + 14 * DAY, day + 20 * DAY):
        got = ask(api, r["id"], "referrer", {"review_by": review_by.isoformat(), "reason": "x"})
        assert got.status_code == 422, review_by
        assert got.json()["errors"][0]["loc"] == ["body", "review_by"]
    for bad in (
        {"review_by": "tomorrow", "reason": "x"},
        {"review_by": (day + DAY).isoformat()},
        {"review_by": (day + DAY).isoformat(), "reason": "  "},
    ):
        assert ask(api, r["id"], "referrer", bad).status_code == 422, bad
    # Overdue already: nothing is sooner and not in the past.
    received(engine, r["id"], 20)
    late = ask(api, r["id"], "referrer", {"review_by": day.isoformat(), "reason": "x"})
    assert late.status_code == 422


def test_who_may_bring_a_review_forward(api: Api, engine: Engine) -> None:
    r = refer(api)
    body = {"review_by": (today() + DAY).isoformat(), "reason": "x"}
    assert ask(api, r["id"], "referrer_b", body).status_code == 404
    assert ask(api, r["id"], "bobby", body).status_code == 404
    assert ask(api, r["id"], "service", body).status_code == 403
    assert api.client.post(f"/referrals/{r['id']}/reviews/request", json=body).status_code == 401
    housing = api.handover(r, "housing-cambridge")
    assert api.act(housing["id"], "decline", "housing", {"reason": "full"}).status_code == 200
    ended = ask(api, r["id"], "housing", body)
    assert ended.status_code == 403 and ended.json()["code"] == "not_on_the_case"
    assert ask(api, r["id"], "admin", body).status_code == 200


def test_reviews_are_kept_per_referral_in_order(api: Api, engine: Engine) -> None:
    r = refer(api)
    for _ in range(3):
        assert review(api, r["id"], "referrer", NO_CHANGE).status_code == 201
    with Session(engine) as session:
        rows = list(session.exec(select(Review).where(Review.referral_id == r["id"])))
    assert sorted(x.seq for x in rows) == [1, 2, 3]
    assert {x.done_on for x in rows} == {today()}
    assert all(isinstance(x.done_at, dt.datetime) for x in rows)
