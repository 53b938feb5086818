"""Building, caching and serving the snapshot.

The snapshot is built at most once per directory version: the cache maps a version's token to
the finished bytes (and, for ``POST /search``, the pathway graph built from it). ``If-None-Match``
is answered from the state row alone, without building anything.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from graph.build import PathwayGraph, build_graph
from graph.codec import directory_from_dict, directory_to_dict
from graph.model import Directory

from ..services.service import graph_dict
from . import repository
from .models import DirectoryState

FORMAT = "s1"
"""Bump when the snapshot's shape changes, so that old ETags stop matching."""


def etag_of_state(state: DirectoryState) -> str:
    return f'"{FORMAT}-{state.version}-{state.token}"'


@dataclass(frozen=True, slots=True)
class Snapshot:
    version: int
    token: str
    etag: str
    body: bytes
    directory: Directory


SNAPSHOT_CONNECTIONS = 1
"""The pool of the engine snapshots are built from: one build at a time (``SnapshotCache``)."""


class SnapshotCache:
    """The last few snapshots, by version token; safe to share between threads.

    A snapshot is built from ``engine``, in a transaction of its own, by one thread at a time
    (under the cache's lock). The engine is not the requests' own: a request asking for a
    snapshot already holds one of their connections, and with every one of them held by such
    a request, the one building would wait for another until the pool timed out. A pool of
    one connection (``SNAPSHOT_CONNECTIONS``) is all the builds need.
    """

    def __init__(self, *, engine: Engine, size: int = 4) -> None:
        self.engine = engine
        self._size = size
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._graphs: dict[str, PathwayGraph] = {}
        self._lock = threading.Lock()
        self.builds = 0
        """How many snapshots were built (tests check the cache with it)."""
        self.graph_builds = 0

    def get_or_build(self, token: str, build: Callable[[], Snapshot]) -> Snapshot:
        """The snapshot for ``token``, built (once, under the lock) if it is not cached.

        ``build`` reads the directory as it is now, which may already be a newer version than
        ``token``: the snapshot is cached under the token it was actually built from.
        """
        with self._lock:
            cached = self._snapshots.get(token)
            if cached is not None:
                self._snapshots.move_to_end(token)
                return cached
            built = build()
            self.builds += 1
            self._snapshots[built.token] = built
            while len(self._snapshots) > self._size:
                old, _ = self._snapshots.popitem(last=False)
                self._graphs.pop(old, None)
            return built

    def graph(self, snapshot: Snapshot) -> PathwayGraph:
        """The pathway graph of ``snapshot``, built once per version."""
        with self._lock:
            graph = self._graphs.get(snapshot.token)
            if graph is None:
                graph = build_graph(snapshot.directory)
                self.graph_builds += 1
                if snapshot.token in self._snapshots:
                    self._graphs[snapshot.token] = graph
            return graph


def current_etag(*, session: Session) -> str:
    return etag_of_state(repository.state(session=session))


def _build(*, engine: Engine) -> Snapshot:
    # One transaction that sees one state of the database (SQLite always does; PostgreSQL needs
    # REPEATABLE READ), so the version and the content it is cached under always match.
    bind = (
        engine.execution_options(isolation_level="REPEATABLE READ")
        if engine.dialect.name == "postgresql"
        else engine
    )
    with Session(bind) as session:
        state = repository.state(session=session)
        providers, services, pathways = repository.everything(session=session)
        document: dict[str, Any] = {
            "version": state.version,
            "services": [graph_dict(s) for s in services],
            "pathways": [
                {
                    "id": p.id,
                    "from_service": p.from_node,
                    "to_service": p.to_service_id,
                    "days": p.days,
                }
                for p in sorted(pathways, key=lambda p: (p.from_node, p.to_service_id))
            ],
        }
        provider_list = [
            {"id": p.id, "name": p.name, "description": p.description, "contact": p.contact}
            for p in providers
        ]
    # graph/ reads it back strictly: what the router will load is checked here first.
    directory = directory_from_dict(document)
    as_graph_writes_it = directory_to_dict(directory)
    body = {
        "version": state.version,
        "providers": provider_list,
        "services": as_graph_writes_it["services"],
        "pathways": as_graph_writes_it["pathways"],
    }
    return Snapshot(
        version=state.version,
        token=state.token,
        etag=etag_of_state(state),
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        directory=directory,
    )


def current(*, session: Session, cache: SnapshotCache) -> Snapshot:
    """The snapshot of the directory as it is now: from the cache, or built once and cached."""
    state = repository.state(session=session)
    return cache.get_or_build(state.token, lambda: _build(engine=cache.engine))
