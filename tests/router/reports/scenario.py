"""A small county week built through the real API, with its figures worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from graph.plan import local_date
from services.common.db import utcnow, writer
from services.router.clients.directory import DirectoryClient
from services.router.handovers.models import Handover
from services.router.handovers.service import expire_overdue
from services.router.referrals.models import Referral
from services.router.snapshot.service import DirectoryView
from tests.router.api.fakes import FakeDirectory
from tests.router.api.helpers import Api

HOUR = dt.timedelta(hours=1)


@dataclass
class Scenario:
    today: dt.date
    referrals: dict[str, dict[str, Any]]


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _expire_due(engine: Engine, directory: FakeDirectory, *, at: dt.datetime) -> int:
    client = DirectoryClient(
        base_url="http://directory.test",
        api_key="directory-service-key",
        retries=0,
        transport=directory.transport(),
    )
    view = DirectoryView(client=client, engine=engine, max_age_seconds=0)
    try:
        return expire_overdue(engine=engine, view=view, now=at)
    finally:
        view.close()
        client.close()


def _times(engine: Engine, handover_id: str, **at: dt.datetime) -> None:
    with Session(writer(engine)) as session:
        session.execute(update(Handover).where(col(Handover.id) == handover_id).values(**at))
        session.commit()


def build(api: Api, engine: Engine, directory: FakeDirectory) -> Scenario:
    """Seven referrals received today:

    - R1, R6, R7: police, female 34, high-risk domestic abuse in Cambridge: the IDVA accepts
      and makes contact (R1's completes, improved); R1's housing accepts, contacts, completes
      (same).
    - R2: self-referral, male 17, burglary not reported, Peterborough: home security unmet;
      the young victims service is asked and has not answered.
    - R3: police, male 34, domestic abuse: the IDVA declines ("conflict of interest") and no
      one else fits: domestic abuse advocacy unmet.
    - R4: agency, female 70, fraud not reported, Fenland, reported 16 days ago (both deadlines
      past at arrival): the older victims service accepts, contacts, completes (worse);
      Citizens Advice declines ("Caseload full", spaces to be tidied) and the finance need is
      re-routed to Victim Support enhanced.
    - R5: police, male 30, robbery, no consent, Huntingdonshire: its signpost to Victim
      Support triage expires (48 hours) and nothing else fits; young victim support unmet.
    """
    now = utcnow()
    today = local_date(now)
    long_ago = (today - dt.timedelta(days=16)).isoformat()
    r: dict[str, dict[str, Any]] = {}

    # R5 first, alone: the sweep then expires only its signpost to Victim Support triage.
    r["R5"] = api.refer(
        victim={"age": 30, "sex": "male", "area": "E07000011", "consent_to_share": False},
        incident={"kind": "robbery", "reported_on": today.isoformat(), "occurred_on": None},
        assessment={
            "dash_score": None,
            "flags": [],
            "incidents_last_12_months": 0,
            "needs": {"young_victim_support": 2, "emotional_support": 1},
        },
    )
    assert _expire_due(engine, directory, at=now + 49 * HOUR) == 1

    for name in ("R1", "R6", "R7"):  # high-risk domestic abuse, Cambridge
        r[name] = api.refer(incident={"reported_on": today.isoformat(), "occurred_on": None})
    r["R2"] = api.refer(
        source={"kind": "self", "reference": None},
        victim={"age": 17, "sex": "male", "area": "E06000031"},
        incident={
            "kind": "burglary",
            "reported_to_police": False,
            "reported_on": None,
            "occurred_on": None,
        },
        assessment={
            "dash_score": None,
            "flags": [],
            "incidents_last_12_months": 0,
            "needs": {"home_security": 2, "emotional_support": 1},
        },
    )
    r["R3"] = api.refer(
        victim={"sex": "male"}, incident={"reported_on": today.isoformat(), "occurred_on": None}
    )
    r["R4"] = api.refer(
        source={"kind": "agency", "reference": None},
        victim={"age": 70, "sex": "female", "area": "E07000010"},
        incident={
            "kind": "fraud",
            "reported_to_police": False,
            "reported_on": long_ago,
            "occurred_on": long_ago,
        },
        assessment={
            "dash_score": None,
            "flags": [],
            "incidents_last_12_months": 0,
            "needs": {"finance": 2, "emotional_support": 2},
        },
    )

    idva = {n: api.handover(r[n], "idva-cambridgeshire")["id"] for n in ("R1", "R6", "R7", "R3")}
    housing = api.handover(r["R1"], "housing-cambridge")["id"]
    older = api.handover(r["R4"], "victim-support-older")["id"]
    advice = api.handover(r["R4"], "citizens-advice-cambridgeshire")["id"]

    for n in ("R1", "R6", "R7"):
        _ok(api.act(idva[n], "accept", "idva"))
        _ok(api.act(idva[n], "contact", "idva"))
    _ok(
        api.act(
            idva["R1"],
            "complete",
            "idva",
            {
                "outcomes": {"domestic_abuse_advocacy": "improved"},
                "satisfaction": {"score": 5, "reason": "They listened."},
            },
        )
    )
    _ok(api.act(housing, "accept", "housing"))
    _ok(api.act(housing, "contact", "housing"))
    _ok(
        api.act(
            housing,
            "complete",
            "housing",
            {"outcomes": {"accommodation": "same"}, "satisfaction": {"score": 2}},
        )
    )
    _ok(api.act(idva["R3"], "decline", "idva", {"reason": "conflict of interest"}))
    _ok(api.act(older, "accept", "victim_support"))
    _ok(api.act(older, "contact", "victim_support"))
    _ok(api.act(older, "complete", "victim_support", {"outcomes": {"emotional_support": "worse"}}))
    _ok(api.act(advice, "decline", "advice", {"reason": "  Caseload   full "}))

    # The API stamps the clock; move the answered handovers to known times (all in the past,
    # so no deadline changes: they were met or missed the same way at the real times).
    start = now - 20 * HOUR
    with Session(writer(engine)) as session:
        session.execute(
            update(Referral)
            .where(col(Referral.id).in_([r[n]["id"] for n in ("R1", "R6", "R7", "R4")]))
            .values(created_at=start)
        )
        session.commit()
    for n, (ask, accept, contact) in {"R1": (1, 2, 5), "R6": (1, 3, 9), "R7": (2, 12, 14)}.items():
        _times(
            engine,
            idva[n],
            requested_at=start + ask * HOUR,
            accepted_at=start + accept * HOUR,
            contacted_at=start + contact * HOUR,
        )
    _times(
        engine,
        housing,
        requested_at=start + 1 * HOUR,
        accepted_at=start + 4 * HOUR,
        contacted_at=start + 6 * HOUR,
    )
    _times(
        engine,
        older,
        requested_at=start + 1 * HOUR,
        accepted_at=start + 7 * HOUR,
        contacted_at=start + 8 * HOUR,
    )
    return Scenario(today=today, referrals=r)
