"""The report's queries on both backends: batches join up, the period is inclusive, and only
the keys the report counts by are kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session

from graph.plan import local_date
from services.common.db import utcnow
from services.router.reports import repository
from tests.router.api.helpers import Api


def test_batches_join_up_whatever_their_size(api: Api, engine: Engine) -> None:
    made = {api.refer()["id"] for _ in range(5)}
    today = local_date(utcnow())
    with Session(engine) as session:
        for size in (1, 2, 5, 1000):
            batches = list(
                repository.referral_batches(session=session, start=today, end=today, batch=size)
            )
            assert [len(b) for b in batches] == [
                min(size, 5 - i * size) for i in range(len(batches))
            ]
            rows = [r for b in batches for r in b]
            assert {r.id for r in rows} == made and len(rows) == 5
        ids = sorted(made)
        handovers = repository.handovers_of(session=session, referral_ids=ids)
        assert len(handovers) == 10  # IDVA and housing for each
        assert {h.referral_id for h in handovers} == made
        assert all(h.referral_created_at.tzinfo is not None for h in handovers)
        assert repository.handovers_of(session=session, referral_ids=[]) == []
        first = repository.first_times(session=session, referral_ids=ids)
        assert set(first) == made
        for requested, contacted in first.values():
            assert requested is not None and requested.tzinfo is not None
            assert contacted is None
        by_source = repository.count_by(
            session=session, column="source_kind", start=today, end=today
        )
        assert by_source == {"police": 5}
        yesterday = today - dt.timedelta(days=1)
        assert (
            list(repository.referral_batches(session=session, start=yesterday, end=yesterday)) == []
        )
        assert (
            repository.count_by(
                session=session, column="risk_level", start=yesterday, end=yesterday
            )
            == {}
        )


def test_only_the_keys_counted_by_are_kept(api: Api, engine: Engine) -> None:
    api.refer()  # API.md's example: contact details, safe times, crime reference…
    today = local_date(utcnow())
    with Session(engine) as session:
        [[row]] = list(repository.referral_batches(session=session, start=today, end=today))
    assert row.victim == {"age": 34, "sex": "female", "area": "E07000008"}
    assert row.incident == {"kind": "domestic_abuse", "reported_to_police": True}
    assert row.unmet == []
