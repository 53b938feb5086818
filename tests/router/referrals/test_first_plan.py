"""``referrals.service._FirstPlan`` writes exactly the rows ``flows.Case.start`` would.

``POST /referrals`` stages a new referral's rows as plain data (no ORM objects: see
``_stage``); the rules for carrying out a plan live in ``flows.Case``. This test runs both on
the same plans (the benchmark's referral mix over the shipped directory, fresh and stale) and
compares every row, ids aside.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from sqlmodel import Session

from bench.synth import referral_bodies
from graph import build_graph, load_directory, make_plan, referral_from_dict
from graph.plan import local_date
from services.router.flows import Case
from services.router.handovers.models import Handover
from services.router.outbox.models import OutboxEvent
from services.router.referrals.models import Referral, TimelineEvent
from services.router.referrals.service import _TABLES, _FirstPlan

NOW = dt.datetime(2026, 11, 26, 10, 30, tzinfo=dt.UTC)


class _Collector:
    """The one thing Case asks of a session while it starts a plan: ``add``."""

    def __init__(self) -> None:
        self.added: list[object] = []

    def add(self, obj: object) -> None:
        if obj not in self.added:
            self.added.append(obj)


def _referral_row(ref_id: str) -> dict[str, Any]:
    defaults = {
        c.key: (c.default.arg if c.default is not None else None)
        for c in Referral.__table__.columns  # type: ignore[attr-defined]
    }
    return {
        **defaults,
        "id": ref_id,
        "referrer": "r",
        "source_kind": "police",
        "source_reference": None,
        "status": "open",
        "risk_level": "standard",
        "enhanced": False,
        "enhanced_reasons": [],
        "marac": None,
        "risk_notes": [],
        "refer_by": NOW.date(),
        "first_update_by": NOW.date(),
        "received_on": NOW.date(),
        "directory_version": "v",
        "directory_stale": False,
        "entry": "entry:police",
        "mode": "warm",
        "lead_service_id": None,
        "victim": {},
        "incident": {},
        "unmet": [],
        "implied_needs": [],
        "assessment_count": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }


def _columns(model: type[object]) -> list[str]:
    return [c.key for c in model.__table__.columns]  # type: ignore[attr-defined]


def test_the_referral_row_has_every_column() -> None:
    assert sorted(_referral_row("x")) == sorted(_columns(Referral))


@pytest.mark.parametrize("seed", [1, 2])
def test_first_plan_rows_match_case_start(seed: int) -> None:
    graph = build_graph(load_directory())
    today = local_date(NOW)
    compared = 0
    for body in referral_bodies(150, seed=seed, today=today):
        referral = referral_from_dict(body, today=today)
        plan = make_plan(graph, referral, now=NOW)

        row = _referral_row("ref-1")
        fast = _FirstPlan(referral=row, now=NOW, actor="r")
        fast.start(plan, graph)

        collector = _Collector()
        orm_row = Referral(**_referral_row("ref-1"))
        case = Case(
            session=cast(Session, collector),
            referral=orm_row,
            handovers=[],
            now=NOW,
            actor="r",
        )
        case.start(plan, graph)

        for key in _columns(Referral):
            assert row[key] == getattr(orm_row, key), key

        seq_of = {h.id: h.seq for h in case.handovers} | {h.id: h.seq for h in fast.handovers}

        def plain(
            obj: object, columns: list[str], seq_of: dict[str, int] = seq_of
        ) -> dict[str, Any]:
            out = {k: getattr(obj, k) for k in columns if k != "id"}
            if out.get("handover_id") is not None:
                out["handover_id"] = seq_of[out["handover_id"]]
            return out

        assert [plain(h, _columns(Handover)) for h in fast.handovers] == [
            plain(h, _columns(Handover)) for h in case.handovers
        ]
        assert all(sorted(vars(h)) == sorted(_columns(Handover)) for h in fast.handovers)

        timeline = [o for o in collector.added if isinstance(o, TimelineEvent)]
        assert all(set(t) == set(_columns(TimelineEvent)) - {"id"} for t in fast.timeline)
        assert [{**t, "handover_id": seq_of.get(t["handover_id"])} for t in fast.timeline] == [
            plain(t, _columns(TimelineEvent)) for t in timeline
        ]

        outbox = [o for o in collector.added if isinstance(o, OutboxEvent)]
        assert len(fast.outbox) == len(outbox)
        for mine, theirs in zip(fast.outbox, outbox, strict=True):
            assert set(mine) <= set(_columns(OutboxEvent))
            for key in _columns(OutboxEvent):
                if key in ("id", "handover_id"):
                    continue
                expected = getattr(theirs, key)
                if key == "payload":
                    expected = {**expected, "data": dict(expected["data"])}
                    for p in (expected, mine[key]):
                        p["data"] = {**p["data"], "handover_id": seq_of[p["data"]["handover_id"]]}
                assert mine.get(key, _default(OutboxEvent, key)) == expected, key
            assert seq_of[mine["handover_id"]] == seq_of[theirs.handover_id]
        compared += 1
    assert compared == 150


def _default(model: type[object], key: str) -> Any:
    column = model.__table__.c[key]  # type: ignore[attr-defined]
    return column.default.arg if column.default is not None else None


def test_tables_cover_what_a_referral_writes() -> None:
    assert set(_TABLES) == {
        "referrals",
        "assessments",
        "timeline_events",
        "handovers",
        "outbox_events",
        "audit_log",
    }
