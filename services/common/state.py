"""What a service's lifespan hands to every request (``request.state``), typed.

Starlette copies the mapping a lifespan yields into each request's state. These accessors give
the pieces back with their types, and fail loudly if the lifespan did not run.
"""

from __future__ import annotations

from typing import TypedDict, TypeVar

from sqlalchemy import Engine
from starlette.requests import Request

from .db import LoopReader
from .migrations import MigrationSet

T = TypeVar("T")


class ServiceState(TypedDict):
    service_name: str
    engine: Engine
    loop_reader: LoopReader
    """Reads the API key of each request on the event loop (SQLite; ``LoopReader``)."""
    migrations: MigrationSet
    schema_head: str


def state_item(request: Request, name: str, kind: type[T]) -> T:
    value = getattr(request.state, name, None)
    if not isinstance(value, kind):
        raise RuntimeError(f"request state has no {name}: is the app's lifespan running?")
    return value
