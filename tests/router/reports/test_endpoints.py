"""``GET /reports/summary`` through the API: a scenario's figures worked out by hand, the CSV,
who may read it, bad periods, and equity flags on a constructed skew."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from sqlalchemy import Engine

from graph.plan import local_date
from services.common.db import utcnow
from tests.router.api.fakes import FakeDirectory
from tests.router.api.helpers import PROBLEM_JSON, Api

from .scenario import Scenario, build

SUMMARY = "/reports/summary"


def period(day: dt.date, last: dt.date | None = None) -> dict[str, str]:
    return {"from": day.isoformat(), "to": (last or day).isoformat()}


def report(api: Api, params: dict[str, str], who: str = "admin") -> dict[str, Any]:
    response = api.get(SUMMARY, who, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def scenario(api: Api, engine: Engine, fake_directory: FakeDirectory) -> Scenario:
    return build(api, engine, fake_directory)


def test_the_figures_are_the_hand_computed_ones(api: Api, scenario: Scenario) -> None:
    got = report(api, period(scenario.today))
    assert got["period"] == {
        "from": scenario.today.isoformat(),
        "to": scenario.today.isoformat(),
        "days": 1,
        "as_of": scenario.today.isoformat(),
    }

    referrals = got["referrals"]
    assert referrals["total"] == 7
    assert referrals["by_source"] == {"police": 5, "agency": 1, "self": 1}
    assert referrals["not_reported_to_police"] == 2  # R2 (self, not reported), R4
    assert {k: n for k, n in referrals["by_incident_kind"].items() if n} == {
        "domestic_abuse": 4,
        "burglary": 1,
        "fraud": 1,
        "robbery": 1,
    }
    assert len(referrals["by_incident_kind"]) == 18  # every kind, zeros included
    assert referrals["by_risk_level"] == {"standard": 3, "medium": 0, "high": 4}

    # Everything was requested at arrival: only R4, reported 16 days ago, missed refer_by.
    # First contact: R1, R6, R7 in time; R4 late; R2, R3, R5 none yet and not yet due.
    assert got["deadlines"] == {
        "refer_by": {"met": 6, "missed": 1, "pending": 0},
        "first_update_by": {"met": 3, "missed": 1, "pending": 3},
    }

    services = {s["service_id"]: s for s in got["services"]}
    assert sorted(services) == [
        "citizens-advice-cambridgeshire",
        "housing-cambridge",
        "idva-cambridgeshire",
        "victim-support-enhanced",
        "victim-support-older",
        "victim-support-triage",
        "young-victims-service",
    ]
    idva = services["idva-cambridgeshire"]
    assert {k: idva[k] for k in ("requested", "accepted", "contacted", "completed")} == {
        "requested": 4,
        "accepted": 3,
        "contacted": 3,
        "completed": 1,
    }
    assert (idva["declined"], idva["expired"], idva["cancelled"]) == (1, 0, 0)
    # Accepted 1, 2 and 10 hours after the request (2, 3, 12 after the referral); first
    # contact 4, 8, 12 (5, 9, 14): nearest rank, p50 is the 2nd of 3, p90 the 3rd.
    assert idva["hours_to_accept"] == {
        "from_request": {"count": 3, "p50": 2.0, "p90": 10.0},
        "from_referral": {"count": 3, "p50": 3.0, "p90": 12.0},
    }
    assert idva["hours_to_contact"] == {
        "from_request": {"count": 3, "p50": 8.0, "p90": 12.0},
        "from_referral": {"count": 3, "p50": 9.0, "p90": 14.0},
    }
    assert idva["decline_reasons"] == [{"reason": "conflict of interest", "count": 1}]
    assert idva["satisfaction"] == {
        "answers": 1,
        "mean": 5.0,
        "by_score": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
    }
    housing = services["housing-cambridge"]
    assert housing["satisfaction"]["answers"] == 1 and housing["satisfaction"]["mean"] == 2.0
    older = services["victim-support-older"]
    assert older["satisfaction"] == {
        "answers": 0,
        "mean": None,
        "by_score": dict.fromkeys("12345", 0),
    }
    assert (housing["requested"], housing["accepted"], housing["completed"]) == (4, 1, 1)
    assert housing["hours_to_accept"]["from_request"] == {"count": 1, "p50": 3.0, "p90": 3.0}
    assert housing["hours_to_contact"]["from_referral"] == {"count": 1, "p50": 6.0, "p90": 6.0}
    older = services["victim-support-older"]
    assert older["hours_to_accept"]["from_request"]["p50"] == 6.0
    assert older["hours_to_contact"]["from_referral"]["p90"] == 8.0
    advice = services["citizens-advice-cambridgeshire"]
    assert advice["decline_reasons"] == [{"reason": "Caseload full", "count": 1}]
    assert advice["hours_to_accept"]["from_request"] == {"count": 0, "p50": None, "p90": None}
    triage = services["victim-support-triage"]
    assert (triage["requested"], triage["expired"]) == (1, 1)
    assert triage["expiry_reasons"] == [{"reason": "no answer within 48 hours", "count": 1}]
    assert services["young-victims-service"]["requested"] == 1

    assert got["unmet"]["referrals_with_unmet"] == 3  # R2, R3, R5
    assert got["unmet"]["by_need"] == {
        "domestic_abuse_advocacy": 1,
        "emotional_support": 1,
        "home_security": 1,
        "young_victim_support": 1,
    }
    assert got["unmet"]["by_area"] == [
        {"area": "E06000031", "referrals": 1, "with_unmet": 1, "by_need": {"home_security": 1}},
        {
            "area": "E07000008",
            "referrals": 4,
            "with_unmet": 1,
            "by_need": {"domestic_abuse_advocacy": 1},
        },
        {"area": "E07000010", "referrals": 1, "with_unmet": 0, "by_need": {}},
        {
            "area": "E07000011",
            "referrals": 1,
            "with_unmet": 1,
            "by_need": {"emotional_support": 1, "young_victim_support": 1},
        },
    ]
    assert got["outcomes"] == {
        "accommodation": {"improved": 0, "same": 1, "worse": 0},
        "domestic_abuse_advocacy": {"improved": 1, "same": 0, "worse": 0},
        "emotional_support": {"improved": 0, "same": 0, "worse": 1},
    }

    equity = got["equity"]
    assert equity["rule"]["min_group"] == 20 and equity["rule"]["z_threshold"] == 3.0
    assert "two-proportion z-test" in equity["rule"]["text"]
    bands = {g["group"]: g for g in equity["by_age_band"]}
    assert list(bands) == ["under_18", "18_24", "25_59", "60_plus", "unknown"]
    assert bands["25_59"]["referrals"] == 5  # R1, R3, R5, R6, R7
    assert bands["25_59"]["unmet"]["count"] == 2 and bands["25_59"]["unmet"]["rate"] == 0.4
    # R1, R3, R6, R7: IDVA and housing each; R5: the triage signpost.
    assert (bands["25_59"]["declined"]["count"], bands["25_59"]["declined"]["of"]) == (1, 9)
    assert (bands["60_plus"]["declined"]["count"], bands["60_plus"]["declined"]["of"]) == (1, 3)
    sexes = {g["group"]: g for g in equity["by_sex"]}
    assert list(sexes) == ["female", "male", "other", "not_stated", "unknown"]
    # Men 3 of 3 with an unmet need, women 0 of 4: z = 1 / sqrt(3/7 * 4/7 * (1/3 + 1/4)).
    assert sexes["male"]["unmet"]["z"] == 2.65
    assert sexes["female"]["improved"] == {
        "count": 1,
        "of": 3,
        "rate": 0.3333,
        "z": None,  # nobody else has an outcome to compare with
        "flag": None,
    }
    flags = [
        g[r]["flag"] for g in [*bands.values(), *sexes.values()] for r in ("unmet", "declined")
    ]
    assert flags == [None] * len(flags)  # every group is far below the minimum of 20
    assert any("pending" in note for note in got["notes"])

    text = str(got)
    for r in scenario.referrals.values():
        assert r["id"] not in text  # no case is identified


def test_the_read_is_audited(api: Api, scenario: Scenario) -> None:
    report(api, period(scenario.today))
    events = api.get("/audit", "admin", params={"entity_type": "report"}).json()["items"]
    [event] = events
    assert event["action"] == "read_report"
    assert event["actor"]["name"] == "test-admin"
    assert event["after"] == {
        "from": scenario.today.isoformat(),
        "to": scenario.today.isoformat(),
        "format": "json",
    }


def test_the_csv_has_every_figure_of_the_json(api: Api, scenario: Scenario) -> None:
    params = period(scenario.today)
    data = report(api, params)
    response = api.get(SUMMARY, "admin", params={**params, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(response.text)))
    assert lines[0] == ["section", "dimension", "group", "measure", "value"]
    cells = {tuple(line[:4]): line[4] for line in lines[1:]}
    assert len(cells) == len(lines) - 1  # one row per figure

    def value(*key: str) -> str:
        return cells[key]

    def same(got: str, want: object) -> None:
        assert got == ("" if want is None else str(want)), (got, want)

    same(value("period", "", "", "from"), data["period"]["from"])
    same(value("referrals", "all", "all", "referrals"), data["referrals"]["total"])
    same(
        value("referrals", "reported_to_police", "no", "referrals"),
        data["referrals"]["not_reported_to_police"],
    )
    for dimension, key in (
        ("source_kind", "by_source"),
        ("incident_kind", "by_incident_kind"),
        ("risk_level", "by_risk_level"),
    ):
        for group, n in data["referrals"][key].items():
            same(value("referrals", dimension, group, "referrals"), n)
    for deadline, counts in data["deadlines"].items():
        for state, n in counts.items():
            same(value("deadlines", deadline, state, "referrals"), n)
    for s in data["services"]:
        sid = s["service_id"]
        for measure in ("requested", "accepted", "contacted", "declined", "expired"):
            same(value("services", sid, "handovers", measure), s[measure])
        for what in ("hours_to_accept", "hours_to_contact"):
            for since, pct in s[what].items():
                for measure, v in pct.items():
                    same(value("services", sid, f"{what}_{since}", measure), v)
        for r in s["decline_reasons"]:
            same(value("services", sid, "decline_reason", r["reason"]), r["count"])
        for r in s["expiry_reasons"]:
            same(value("services", sid, "expiry_reason", r["reason"]), r["count"])
    for need, n in data["unmet"]["by_need"].items():
        same(value("unmet", "need", need, "referrals"), n)
    for area in data["unmet"]["by_area"]:
        same(value("unmet", "area", area["area"], "with_unmet"), area["with_unmet"])
        for need, n in area["by_need"].items():
            same(value("unmet", "area", area["area"], need), n)
    for need, counts in data["outcomes"].items():
        for outcome, n in counts.items():
            same(value("outcomes", "need", need, outcome), n)
    same(value("equity", "rule", "", "text"), data["equity"]["rule"]["text"])
    for dimension, key in (("age_band", "by_age_band"), ("sex", "by_sex")):
        for g in data["equity"][key]:
            for name in ("unmet", "declined", "improved"):
                for measure, v in g[name].items():
                    same(value("equity", dimension, g["group"], f"{name}_{measure}"), v)


def test_only_admins_may_read_it(api: Api) -> None:
    today = local_date(utcnow())
    params = period(today)
    anonymous = api.client.get(SUMMARY, params=params)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == PROBLEM_JSON
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for who in ("referrer", "idva", "service"):
        refused = api.get(SUMMARY, who, params=params)
        assert refused.status_code == 403, who
        assert refused.headers["content-type"] == PROBLEM_JSON
    assert api.get("/audit", "admin", params={"entity_type": "report"}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "where", "says"),
    [
        ({"from": "2026-11-02", "to": "2026-11-01"}, ["query", "to"], "on or after"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, ["query", "to"], "367 days"),
        ({"to": "2026-11-01"}, ["query", "from"], "required"),
        ({"from": "2026-11-01"}, ["query", "to"], "required"),
        ({"from": "2026-13-01", "to": "2026-11-01"}, ["query", "from"], ""),
        ({"from": "1764000000", "to": "2026-11-01"}, ["query", "from"], ""),
        ({"from": "2026-11-01", "to": "2026-11-01", "format": "xml"}, ["query", "format"], ""),
    ],
)
def test_a_bad_period_is_a_422_naming_it(
    api: Api, params: dict[str, str], where: list[str], says: str
) -> None:
    response = api.get(SUMMARY, "admin", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["errors"][0]["loc"] == where
    assert says.lower() in problem["detail"].lower()


def test_a_year_is_allowed_and_an_empty_period_is_all_zeros(api: Api) -> None:
    got = report(api, {"from": "2024-01-01", "to": "2024-12-31"})  # 366 days, a leap year
    assert got["period"]["days"] == 366
    assert got["referrals"]["total"] == 0
    assert got["deadlines"]["refer_by"] == {"met": 0, "missed": 0, "pending": 0}
    assert got["services"] == [] and got["outcomes"] == {}
    assert all(g["unmet"]["rate"] is None for g in got["equity"]["by_sex"])


def test_the_period_counts_the_day_received(api: Api, scenario: Scenario) -> None:
    day = dt.timedelta(days=1)
    before = report(api, period(scenario.today - day * 30, scenario.today - day))
    after = report(api, period(scenario.today + day, scenario.today + day * 3))
    assert before["referrals"]["total"] == after["referrals"]["total"] == 0
    around = report(api, period(scenario.today - day, scenario.today + day))
    assert around["referrals"]["total"] == 7


def test_openapi_declares_json_and_csv(api: Api) -> None:
    operation = api.client.get("/openapi.json").json()["paths"][SUMMARY]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {"401", "403", "422"} <= set(operation["responses"])
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"from", "to", "format"}


def _needs(**needs: int) -> dict[str, Any]:
    return {"dash_score": None, "flags": [], "incidents_last_12_months": 0, "needs": needs}


@pytest.mark.parametrize("skewed", [True, False], ids=["skewed", "balanced"])
def test_equity_flags_a_skew_and_not_a_balance(api: Api, skewed: bool) -> None:
    """Twenty children and twenty adults, each asking for young victim support (which only
    children can get) or home security (which children here cannot). Skewed: every adult has
    an unmet need, no child does. Balanced: half of each group does."""
    for i in range(20):
        adult_unmet = skewed or i % 2 == 0
        child_unmet = not skewed and i % 2 == 0
        api.refer(
            victim={"age": 30, "sex": "male", "area": "E06000031"},
            incident={"kind": "burglary", "reported_on": None, "occurred_on": None},
            assessment=_needs(**({"young_victim_support": 2} if adult_unmet else {})),
        )
        api.refer(
            victim={"age": 15, "sex": "male", "area": "E06000031"},
            incident={"kind": "burglary", "reported_on": None, "occurred_on": None},
            assessment=_needs(
                **({"home_security": 2} if child_unmet else {"young_victim_support": 2})
            ),
        )
    got = report(api, period(local_date(utcnow())))
    bands = {g["group"]: g["unmet"] for g in got["equity"]["by_age_band"]}
    assert (bands["25_59"]["of"], bands["under_18"]["of"]) == (20, 20)
    if skewed:
        assert (bands["25_59"]["count"], bands["under_18"]["count"]) == (20, 0)
        assert bands["25_59"]["flag"] == "higher" and bands["under_18"]["flag"] == "lower"
        assert bands["25_59"]["z"] == pytest.approx(6.32, abs=0.01)  # sqrt(40)
    else:
        assert (bands["25_59"]["count"], bands["under_18"]["count"]) == (10, 10)
        assert bands["25_59"]["flag"] is None and bands["under_18"]["flag"] is None
        assert bands["25_59"]["z"] == 0.0
    male = next(g for g in got["equity"]["by_sex"] if g["group"] == "male")
    assert male["unmet"]["flag"] is None  # no one else to compare with
