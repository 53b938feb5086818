"""The baseline: what any FastAPI + SQLModel service must do to take a referral, and no more.

``POST /referrals`` validates a body of the same shape and size as the router's (API.md's
referral: nested ``source``, ``victim``, ``incident``, ``assessment``, with the same field
types, ranges, code lists and unknown-field refusal), inserts one row (an id, the body as JSON
text, a timestamp) and answers 201 with a small JSON body. The HTTP benchmark runs it beside the
router, in the same run and the same way, and reports the router's figures as a ratio to it.

Why the comparison is fair:

- **Same server.** ``python -m bench.baseline --port P`` calls ``uvicorn.run`` exactly as
  ``pathways serve`` does (factory, host, port, every other setting uvicorn's default: one
  process, the asyncio loop, h11, the access log on), so both pay the same HTTP and logging.
- **Same engine.** It uses the services' own ``create_db_engine`` (``services/common/db.py``):
  SQLite as a WAL file with ``synchronous=NORMAL``, foreign keys and the busy timeout, and a
  write transaction that starts with ``BEGIN IMMEDIATE``; PostgreSQL through psycopg 3 with
  pre-ping, and a pool of the same size (``PATHWAYS_DATABASE_CONNECTIONS``, read here too). Any
  change there applies to both.
- **Same request style.** A sync endpoint (FastAPI runs it on the thread pool, as it does the
  router's), one session per request committed before the response is sent, a pydantic model
  as the body and a ``response_model``.
- **No toy advantage:** the row holds the whole body, the transaction is durable as the
  router's are, and the body is the benchmark's mix of real referrals.
- **No handicap** either: nothing here that a minimal service would not do.

What the router does beyond it (the reason for the ratio) is listed in ``ROUTER_EXTRAS``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints
from sqlalchemy import Engine, Table, Text, text
from sqlmodel import Field as SQLField
from sqlmodel import Session, SQLModel

from graph.vocabulary import (
    ContactChannel,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Sex,
    SourceKind,
    VictimRole,
)
from services.common.db import UtcDateTime, create_db_engine, writer
from services.common.settings import ServiceSettings

DATABASE_URL_VARIABLE = "PATHWAYS_BENCH_BASELINE_DATABASE_URL"

ROUTER_EXTRAS = (
    "two middlewares (body size cap, JSON content type)",
    "API-key authentication: a SHA-256 and a key lookup in the database",
    "the Idempotency-Key claim (a row, and an advisory lock on PostgreSQL) and the stored response",
    "the body's storable-text check (no NUL, no lone surrogate)",
    "the graph's own validation of the referral (referral_from_dict)",
    "risk, MARAC and Victims' Code deadlines",
    "the plan: eligibility over the directory graph, specialists, lead, handover tree",
    "the directory snapshot kept fresh (a conditional GET every 10 s)",
    "rows: referral, assessment, 1 + n handovers, about 5 + 2n timeline events, "
    "n outbox events, an audit event, the idempotency key",
    "a full response: the plan with every handover's explanation (several kB)",
)
"""What ``POST /referrals`` on the router does that the baseline does not (for RESULTS)."""

# --------------------------------------------------------------------------- the body

AreaCode = Annotated[str, StringConstraints(pattern=r"^[EWSN]\d{8}$")]
IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Source(Strict):
    kind: SourceKind
    reference: Annotated[str, StringConstraints(max_length=100)] | None = None


class Contact(Strict):
    channels: list[ContactChannel] = Field(default_factory=list, max_length=5)
    safe_times: Annotated[str, StringConstraints(max_length=200)] | None = None
    do_not_contact: StrictBool = False


class Victim(Strict):
    age: Annotated[StrictInt, Field(ge=0, le=120)] | None = None
    area: AreaCode
    role: VictimRole = VictimRole.DIRECT
    sex: Sex | None = None
    consent_to_share: StrictBool = False
    refused_services: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    contact: Contact | None = None


class Incident(Strict):
    kind: IncidentKind
    reported_to_police: StrictBool = False
    occurred_on: dt.date | None = None
    reported_on: dt.date | None = None
    going_to_court: StrictBool | None = None


class Assessment(Strict):
    risk_level: RiskLevel | None = None
    dash_score: Annotated[StrictInt, Field(ge=0, le=24)] | None = None
    flags: list[RiskFlag] = Field(default_factory=list, max_length=20)
    incidents_last_12_months: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None
    last_marac_referral_on: dt.date | None = None
    needs: dict[Need, Annotated[StrictInt, Field(ge=0, le=3)]]


class ReferralIn(Strict):
    source: Source
    victim: Victim
    incident: Incident
    assessment: Assessment


class Created(BaseModel):
    id: str
    created_at: dt.datetime


# --------------------------------------------------------------------------- the table


class BaselineReferral(SQLModel, table=True):
    __tablename__ = "bench_baseline_referrals"
    # ``python -m bench.baseline`` runs this file as __main__ and uvicorn imports it again.
    __table_args__ = {"extend_existing": True}

    id: str = SQLField(primary_key=True, max_length=36)
    body: str = SQLField(sa_type=Text)
    created_at: dt.datetime = SQLField(sa_type=UtcDateTime)


TABLE: Table = BaselineReferral.__table__  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the app


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the endpoint returns (before the response)."""
    engine: Engine = request.app.state.engine
    # The router's POST writes under BEGIN IMMEDIATE on SQLite (``writer``); so does this one.
    with Session(writer(engine), expire_on_commit=False) as session:
        yield session
        session.commit()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def create_app(database_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # ``PATHWAYS_DATABASE_CONNECTIONS``, read and checked as the services read it.
        connections = ServiceSettings().database_connections
        engine = create_db_engine(database_url, connections=connections)
        # A benchmark table, not a service's: made here rather than by a migration.
        SQLModel.metadata.create_all(engine, tables=[TABLE])
        app.state.engine = engine
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="Pathways benchmark baseline", lifespan=lifespan)

    @app.post("/referrals", status_code=201, response_model=Created)
    def create_referral(*, s: SessionDep, body: ReferralIn) -> Created:
        row = BaselineReferral(
            id=str(uuid.uuid4()),
            body=body.model_dump_json(),
            created_at=dt.datetime.now(dt.UTC),
        )
        s.add(row)
        return Created(id=row.id, created_at=row.created_at)

    @app.get("/readyz")
    def readyz(request: Request) -> dict[str, str]:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ready"}

    return app


def app_from_env() -> FastAPI:
    """The factory uvicorn calls: the database URL comes from the environment."""
    return create_app(os.environ[DATABASE_URL_VARIABLE])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8009)
    args = parser.parse_args(argv)
    # Exactly as services/common/commands.py's serve() runs the services.
    uvicorn.run("bench.baseline:app_from_env", factory=True, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
