"""``GET /healthz`` (liveness) and ``GET /readyz`` (readiness) for every service."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from .db import request_engine
from .errors import ServiceUnavailableError, problem_responses
from .migrations import MigrationSet
from .state import state_item

log = logging.getLogger("pathways.health")

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    schema_revision: str


@router.get("/healthz", operation_id="healthz", summary="Liveness", response_model=Health)
def healthz() -> Health:
    """The process is up. Says nothing about the database: see `/readyz`."""
    return Health()


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Readiness",
    response_model=Readiness,
    responses=problem_responses(ServiceUnavailableError),
)
def readyz(request: Request) -> Readiness:
    """Ready when the database answers and its schema is at the latest migration."""
    engine = request_engine(request)
    migrations = state_item(request, "migrations", MigrationSet)
    head = state_item(request, "schema_head", str)
    service = state_item(request, "service_name", str)
    try:
        with engine.connect() as connection:
            current = migrations.current(connection)
    except SQLAlchemyError as exc:
        log.warning("readiness: the database is unreachable: %s", exc)
        raise ServiceUnavailableError("The database is unreachable") from None
    if current != head:
        raise ServiceUnavailableError(
            f"The database schema is at {current or 'no revision'}, not {head}: "
            f"run `pathways db upgrade --service {service}`"
        )
    return Readiness(schema_revision=head)
