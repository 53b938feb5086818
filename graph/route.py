"""The whole offline answer to a referral: risk, deadlines and plan, as ``POST /referrals``
returns it (API.md), with no ids since nothing is stored.

>>> import datetime as dt
>>> from graph.codec import load_directory
>>> body = {"source": {"kind": "police"},
...         "victim": {"age": 72, "area": "E07000011", "consent_to_share": True},
...         "incident": {"kind": "burglary", "reported_to_police": True,
...                      "reported_on": "2026-11-24"},
...         "assessment": {"needs": {"home_security": 2, "emotional_support": 2}}}
>>> out = route_offline(body, load_directory(), as_of=dt.date(2026, 11, 26))
>>> out["plan"]["lead"], sorted(h["service_id"] for h in out["plan"]["handovers"])
('victim-support-older', ['bobby-scheme', 'victim-support-older'])
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .build import PathwayGraph, build_graph
from .codec import (
    handover_to_dict,
    implied_to_dict,
    referral_from_dict,
    risk_to_dict,
    unmet_to_dict,
)
from .deadlines import victims_code_deadlines
from .model import Directory, Plan, Referral, RiskAssessment
from .plan import LONDON, local_date, make_plan
from .risk import assess_risk


def referral_response(
    referral: Referral,
    risk: RiskAssessment,
    plan: Plan,
    *,
    received_on: dt.date,
    referral_id: str | None = None,
    handover_ids: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The referral document of API.md for a plan (ids filled in when the caller has them)."""
    reported = referral.incident.reported_on or received_on
    deadlines = victims_code_deadlines(reported, enhanced=risk.enhanced)
    ids = handover_ids or {}
    risk_doc = risk_to_dict(risk)
    return {
        "id": referral_id,
        "status": "open",
        "risk_level": risk_doc["risk_level"],
        "enhanced": risk_doc["enhanced"],
        "enhanced_reasons": risk_doc["enhanced_reasons"],
        "marac": risk_doc["marac"],
        "risk_notes": risk_doc["risk_notes"],
        "deadlines": {
            "refer_by": deadlines.refer_by.isoformat(),
            "first_update_by": deadlines.first_update_by.isoformat(),
        },
        "directory_version": plan.directory_version,
        "plan": {
            "lead": plan.lead,
            "entry": plan.entry,
            "mode": plan.mode.value,
            "handovers": [
                handover_to_dict(h, handover_id=ids.get(h.service_id)) for h in plan.handovers
            ],
            "unmet": [unmet_to_dict(u) for u in plan.unmet],
            "implied_needs": [implied_to_dict(i) for i in plan.implied],
        },
    }


def route_offline(
    body: object,
    directory: Directory | PathwayGraph,
    *,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Validate a referral body, plan it, and return what ``POST /referrals`` would.

    ``now`` defaults to noon (London) on ``as_of``, or the current time when neither is given.
    Raises ``InputError`` naming the field when the body is not valid.
    """
    if now is None:
        now = (
            dt.datetime.combine(as_of, dt.time(12), tzinfo=LONDON)
            if as_of is not None
            else dt.datetime.now(dt.UTC)
        )
    today = local_date(now)
    referral = referral_from_dict(body, today=today)
    graph = directory if isinstance(directory, PathwayGraph) else build_graph(directory)
    risk = assess_risk(referral, as_of=today)
    plan = make_plan(graph, referral, now=now)
    return referral_response(referral, risk, plan, received_on=today)
