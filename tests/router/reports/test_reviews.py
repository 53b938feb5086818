"""The report's ``reviews`` section: reviews done in the period, on time or late, and open
referrals overdue for review now (missed), in the JSON and the CSV; and its pure rule."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from graph.plan import local_date
from services.common.db import utcnow, writer
from services.router.referrals.models import Referral
from services.router.reports import service
from services.router.reports.repository import ReviewCount
from tests.router.api.helpers import Api

DAY = dt.timedelta(days=1)
SUMMARY = "/reports/summary"


def _received(engine: Engine, referral_id: str, days_ago: int, **more: Any) -> None:
    with Session(writer(engine)) as session:
        session.execute(
            update(Referral)
            .where(col(Referral.id) == referral_id)
            .values(received_on=local_date(utcnow()) - days_ago * DAY, **more)
        )
        session.commit()


def _standard(api: Api) -> dict[str, Any]:
    return api.refer(
        victim={"sex": "male"},
        assessment={
            "dash_score": 4,
            "flags": [],
            "incidents_last_12_months": 0,
            "needs": {"emotional_support": 2},
        },
    )


def test_reviews_done_on_time_and_late_and_overdue_now(api: Api, engine: Engine) -> None:
    today = local_date(utcnow())
    late, on_time, missed, due_today, closed = (
        api.refer(),
        _standard(api),
        api.refer(),
        api.refer(),
        api.refer(),
    )
    _received(engine, late["id"], 20)  # high: due 6 days ago
    _received(engine, on_time["id"], 10)  # standard: due in 18 days
    _received(engine, missed["id"], 15)  # high: due yesterday, never reviewed
    _received(engine, due_today["id"], 14)  # high: due today, not yet overdue
    _received(engine, closed["id"], 40, status="closed")
    for r, who in ((late, "idva"), (on_time, "referrer")):
        got = api.post(f"/referrals/{r['id']}/reviews", who, {"outcome": "no_change"})
        assert got.status_code == 201, got.text

    params = {"from": (today - 30 * DAY).isoformat(), "to": today.isoformat()}
    got = api.get(SUMMARY, "admin", params=params)
    assert got.status_code == 200, got.text
    reviews = got.json()["reviews"]
    assert reviews == {
        "done": {
            "on_time": 1,
            "late": 1,
            "by_outcome": {"no_change": 2, "reassessed": 0},
            "by_risk_level": {
                "standard": {"on_time": 1, "late": 0},
                "medium": {"on_time": 0, "late": 0},
                "high": {"on_time": 0, "late": 1},
            },
        },
        "overdue": {"referrals": 1, "by_risk_level": {"standard": 0, "medium": 0, "high": 1}},
    }
    assert any("Reviews, unlike the rest" in n for n in got.json()["notes"])

    # A period before the reviews: none done in it, but what is overdue is overdue now.
    earlier = {"from": (today - 30 * DAY).isoformat(), "to": (today - DAY).isoformat()}
    before = api.get(SUMMARY, "admin", params=earlier).json()["reviews"]
    assert (before["done"]["on_time"], before["done"]["late"]) == (0, 0)
    assert before["overdue"]["referrals"] == 1

    text = api.get(SUMMARY, "admin", params={**params, "format": "csv"}).text
    cells = {tuple(line[:4]): line[4] for line in csv.reader(io.StringIO(text))}
    assert cells[("reviews", "done", "all", "on_time")] == "1"
    assert cells[("reviews", "done", "all", "late")] == "1"
    assert cells[("reviews", "done_outcome", "no_change", "reviews")] == "2"
    assert cells[("reviews", "done_risk_level", "high", "late")] == "1"
    assert cells[("reviews", "overdue", "all", "referrals")] == "1"
    assert cells[("reviews", "overdue_risk_level", "high", "referrals")] == "1"


def test_the_review_figures_add_up() -> None:
    figures = service.review_figures(
        done=[
            ReviewCount("no_change", "high", False, 3),
            ReviewCount("reassessed", "high", True, 2),
            ReviewCount("no_change", "medium", True, 1),
        ],
        overdue={"medium": 4, "high": 1},
    )
    assert (figures.done.on_time, figures.done.late) == (3, 3)
    assert figures.done.by_outcome == {"no_change": 4, "reassessed": 2}
    assert figures.done.by_risk_level["high"].late == 2
    assert figures.done.by_risk_level["standard"].on_time == 0
    assert figures.overdue.referrals == 5
    assert figures.overdue.by_risk_level == {"standard": 0, "medium": 4, "high": 1}
