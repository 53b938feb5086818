"""Small typed factories for graph tests: a fresh shipped directory and referral bodies."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from graph import (
    Directory,
    PathwayGraph,
    Plan,
    Referral,
    build_graph,
    load_directory,
    make_plan,
    referral_from_dict,
)

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()

CAMBRIDGE = "E07000008"
EAST_CAMBS = "E07000009"
FENLAND = "E07000010"
HUNTINGDONSHIRE = "E07000011"
SOUTH_CAMBS = "E07000012"
PETERBOROUGH = "E06000031"
CAMBS_DISTRICTS = (CAMBRIDGE, EAST_CAMBS, FENLAND, HUNTINGDONSHIRE, SOUTH_CAMBS)
ALL_AREAS = (*CAMBS_DISTRICTS, PETERBOROUGH)


def fresh(directory: Directory, at: dt.datetime = NOW) -> Directory:
    """The directory as a live one would be: every capacity figure confirmed an hour ago."""
    return dataclasses.replace(
        directory,
        services=tuple(
            dataclasses.replace(
                s, capacity=dataclasses.replace(s.capacity, updated=at - dt.timedelta(hours=1))
            )
            for s in directory.services
        ),
    )


def shipped_graph() -> PathwayGraph:
    return build_graph(fresh(load_directory()))


def body(
    *,
    source: str = "police",
    victim: dict[str, Any] | None = None,
    incident: dict[str, Any] | None = None,
    assessment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A referral body (API.md) with safe defaults for anything not given."""
    return {
        "source": {"kind": source},
        "victim": {"age": 35, "area": CAMBRIDGE, "consent_to_share": True, **(victim or {})},
        "incident": {"kind": "violence", "reported_to_police": True, **(incident or {})},
        "assessment": {"needs": {}, **(assessment or {})},
    }


def referral(**kwargs: Any) -> Referral:
    return referral_from_dict(body(**kwargs), today=TODAY)


def plan_for(graph: PathwayGraph, **kwargs: Any) -> Plan:
    return make_plan(graph, referral(**kwargs), now=NOW)


def met_by(plan: Plan) -> dict[str, str]:
    """need code → the service meeting it."""
    return {n.value: h.service_id for h in plan.handovers for n in h.needs}
