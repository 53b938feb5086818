"""``GET /reviews/due``: the intervals by risk level, who sees what, order and pages, audit."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.router.api.helpers import PROBLEM_JSON, Api

from .helpers import DAY, audit_rows, due, received, refer, set_columns, today


def test_the_first_review_is_due_14_21_or_28_days_after_arrival_by_risk(
    api: Api, engine: Engine
) -> None:
    r = {risk: refer(api, risk) for risk in ("high", "medium", "standard")}
    assert [x["risk_level"] for x in r.values()] == ["high", "medium", "standard"]
    for x in r.values():
        received(engine, x["id"], 14)
    day = today()

    [high] = due(api, "admin")
    assert high == {
        "referral_id": r["high"]["id"],
        "due_on": day.isoformat(),
        "overdue": False,
        "brought_forward": False,
        "risk_level": "high",
        "lead": "idva-cambridgeshire",
        "last_reviewed_on": None,
    }
    assert [x["referral_id"] for x in due(api, "admin", day + 6 * DAY)] == [r["high"]["id"]]
    soon = due(api, "admin", day + 7 * DAY)
    assert [(x["referral_id"], x["due_on"]) for x in soon] == [
        (r["high"]["id"], day.isoformat()),
        (r["medium"]["id"], (day + 7 * DAY).isoformat()),
    ]
    later = due(api, "admin", day + 14 * DAY)
    assert [x["risk_level"] for x in later] == ["high", "medium", "standard"]
    assert later[2]["due_on"] == (day + 14 * DAY).isoformat()

    received(engine, r["high"]["id"], 15)
    [late] = due(api, "admin")
    assert late["overdue"] is True and late["due_on"] == (day - DAY).isoformat()


def test_a_scheduled_date_wins_over_the_interval_and_closed_referrals_are_never_due(
    api: Api, engine: Engine
) -> None:
    a, b = refer(api), refer(api)
    set_columns(engine, a["id"], next_review_on=today() + 40 * DAY)
    received(engine, a["id"], 30)
    received(engine, b["id"], 30)
    set_columns(engine, b["id"], status="closed")
    assert due(api, "admin") == []
    assert [x["referral_id"] for x in due(api, "admin", today() + 40 * DAY)] == [a["id"]]


def test_each_sees_only_the_cases_it_answers_for(api: Api, engine: Engine) -> None:
    mine = refer(api)
    theirs = refer(api, who="referrer_b")
    standard = refer(api, "standard")
    for x in (mine, theirs, standard):
        received(engine, x["id"], 30)

    def ids(who: str) -> set[str]:
        return {x["referral_id"] for x in due(api, who)}

    assert ids("admin") == {mine["id"], theirs["id"], standard["id"]}
    assert ids("referrer") == {mine["id"], standard["id"]}
    assert ids("referrer_b") == {theirs["id"]}
    # The IDVA is to lead both high-risk cases (requested, not yet in contact): it sees them.
    assert ids("idva") == {mine["id"], theirs["id"]}
    assert ids("victim_support") == {standard["id"]}
    # Housing works on the high-risk cases, but does not lead them.
    assert ids("housing") == set()
    assert ids("bobby") == set()


def test_who_may_ask(api: Api) -> None:
    assert api.client.get("/reviews/due").status_code == 401
    denied = api.get("/reviews/due", "service")
    assert denied.status_code == 403
    assert denied.headers["content-type"] == PROBLEM_JSON


def test_bad_queries_are_422(api: Api) -> None:
    for params in ({"by": "26/11/2026"}, {"by": "2026-02-30"}, {"cursor": "nonsense"}):
        got = api.get("/reviews/due", "admin", params=params)
        assert got.status_code == 422, params
        assert got.headers["content-type"] == PROBLEM_JSON


def test_pages_run_in_due_order(api: Api, engine: Engine) -> None:
    made = [refer(api, risk) for risk in ("standard", "high", "medium", "high", "standard")]
    for n, x in enumerate(made):
        received(engine, x["id"], 40 + n)
    everything = due(api, "admin")
    assert len(everything) == 5
    keys = [(x["due_on"], x["referral_id"]) for x in everything]
    assert keys == sorted(keys)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/reviews/due", "admin", params=params).json()
        seen += [x["referral_id"] for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [x["referral_id"] for x in everything]


def test_each_referral_listed_is_an_audited_read(api: Api, engine: Engine) -> None:
    r = refer(api)
    received(engine, r["id"], 20)
    due(api, "idva")
    [row] = audit_rows(engine, "read_summary", r["id"])
    assert row.actor_name == "test-idva" and row.after == {"via": "reviews_due"}
