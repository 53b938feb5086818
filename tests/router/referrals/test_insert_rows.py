"""``db.insert_rows`` stores rows exactly as a Core ``insert`` (the ORM's way) does, on both
backends: every column's stored text and NULL-ness, JSON null for None included, and the
database's own ids in the order the rows were given."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.types import Text
from sqlmodel import Session

from services.common.audit.models import AuditEvent
from services.common.db import insert_rows, writer
from services.router.handovers.models import Handover
from services.router.referrals.models import IdempotencyKey, Referral, TimelineEvent

NOW = dt.datetime(2026, 11, 26, 10, 30, 15, 123456, tzinfo=dt.UTC)


def _table(model: type[object]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _handover_id(ref: str) -> str:
    return "11111111" + ref[8:]


def _rows(ref: str) -> dict[Table, list[dict[str, Any]]]:
    referral = {
        "id": ref,
        "referrer": "r",
        "source_kind": "police",
        "source_reference": None,
        "status": "open",
        "risk_level": "high",
        "enhanced": True,
        "enhanced_reasons": ["domestic abuse", "é ✓"],
        "marac": None,
        "risk_notes": [],
        "refer_by": dt.date(2026, 11, 30),
        "first_update_by": dt.date(2026, 11, 27),
        "received_on": dt.date(2026, 11, 26),
        "directory_version": "v1",
        "directory_stale": False,
        "entry": "entry:police",
        "mode": "warm",
        "lead_service_id": "idva",
        "victim": {"age": 34, "contact": {"channels": ["phone"], "safe_times": None}},
        "incident": {"kind": "domestic_abuse"},
        "unmet": [{"need": "x", "reasons": []}],
        "implied_needs": [],
        "assessment_count": 1,
        "created_at": NOW,
        "updated_at": NOW,
    }
    handover = {
        "id": _handover_id(ref),
        "referral_id": ref,
        "seq": 0,
        "service_id": "idva",
        "provider_id": "p",
        "service_name": "IDVA 'quoted' \"name\"",
        "from_node": "entry:police",
        "needs": ["domestic_abuse_advocacy"],
        "mode": "warm",
        "status": "requested",
        "explanation": {"rules": ["a", "b"], "cost": 1.5},
        "response_hours": 24,
        "requested_at": NOW,
        "respond_by": NOW + dt.timedelta(hours=24),
        "created_at": NOW,
        "updated_at": NOW,
    }  # lead, release_after, outcomes… left out: defaults and None
    timeline = [
        {
            "referral_id": ref,
            "handover_id": None if i % 2 else handover["id"],
            "occurred_at": NOW,
            "kind": f"k{i}",
            "actor": "r",
            "text": f"event {i}",
        }
        for i in range(5)
    ]
    audit = {
        "occurred_at": NOW,
        "actor_name": "r",
        "actor_role": "referrer",
        "actor_key_id": None,
        "actor_provider_id": None,
        "action": "create",
        "entity_type": "referral",
        "entity_id": ref,
        "before": None,
        "after": {"handovers": ["idva"]},
    }
    return {
        _table(Referral): [referral],
        _table(Handover): [handover],
        _table(TimelineEvent): timeline,
        _table(AuditEvent): [audit],
    }


def _default(column: Any) -> Any:
    default = column.default
    return default.arg if default is not None and default.is_scalar else None


def _stored(engine: Engine, table: Table, ref: str) -> list[dict[str, Any]]:
    key = table.c.id if table.name == "referrals" else None
    where = (
        key == ref
        if key is not None
        else (table.c.entity_id == ref if table.name == "audit_log" else table.c.referral_id == ref)
    )
    columns = [c for c in table.columns if c.key != "id" or table.name == "referrals"]
    query = select(
        *[sql_cast(c, Text).label(c.key) for c in columns],
        *[c.is_(None).label(f"{c.key}__null") for c in columns],
    ).where(where)
    if "id" in table.c and table.name != "referrals":
        query = query.order_by(table.c.id)
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(query)]


def test_insert_rows_stores_what_a_core_insert_stores(engine: Engine) -> None:
    a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    with Session(writer(engine)) as session:
        connection = session.connection()
        for table, batch in _rows(a).items():
            for row in batch:
                # Every column, as the ORM's insert gives them (None included: JSON null).
                full = {c.key: row.get(c.key, _default(c)) for c in table.columns}
                if full.get("id") is None:  # made by the database
                    full.pop("id", None)
                connection.execute(insert(table), [full])
        insert_rows(session, _rows(b))
        session.commit()
    for table in _rows(a):
        core, fast = _stored(engine, table, a), _stored(engine, table, b)
        assert len(core) == len(fast) > 0
        for x, y in zip(core, fast, strict=True):
            for k in x:
                if x[k] is not None and isinstance(x[k], str):
                    x[k] = x[k].replace(a, "REF").replace(_handover_id(a), "H")
                    y[k] = y[k].replace(b, "REF").replace(_handover_id(b), "H")
            assert x == y, table.name


def test_timeline_ids_follow_the_order_given(engine: Engine) -> None:
    ref = "00000000-0000-0000-0000-00000000000c"
    with Session(writer(engine)) as session:
        insert_rows(session, _rows(ref))
        session.commit()
    kinds = [r["kind"] for r in _stored(engine, _table(TimelineEvent), ref)]
    assert kinds == [f"k{i}" for i in range(5)]


@pytest.mark.parametrize("tables", [0, 1, 3], ids=["no-rows", "one-table", "three-tables"])
def test_also_runs_one_more_statement_with_the_rows(engine: Engine, tables: int) -> None:
    """``also`` (the stored answer of an Idempotency-Key) is written with any number of
    tables of rows, none included, and its parameters do not get mixed with theirs."""
    ref = "00000000-0000-0000-0000-00000000000d"
    rows = dict(list(_rows(ref).items())[:tables])
    marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    with Session(writer(engine)) as session:
        session.add(
            IdempotencyKey(
                principal="p", key="k", request_hash="h", status="in_progress", claimed_at=NOW
            )
        )
        session.flush()
        also = (
            f"UPDATE idempotency_keys SET status = {marker}, referral_id = {marker} "
            f"WHERE principal = {marker} AND key = {marker}",
            ("done", ref, "p", "k"),
        )
        insert_rows(session, rows, also=also)
        session.commit()
    with Session(engine) as session:
        stored = session.get(IdempotencyKey, ("p", "k"))
        assert stored is not None and (stored.status, stored.referral_id) == ("done", ref)
    for table, batch in rows.items():
        assert len(_stored(engine, table, ref)) == len(batch) > 0
