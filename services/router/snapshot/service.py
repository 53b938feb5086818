"""The directory as the router sees it: the current pathway graph, kept fresh, kept safe.

- The graph is rebuilt only when the snapshot's version changes; a 304 costs nothing.
- The last good snapshot is stored in the router's database, so the router plans from it while
  the directory is down, and after a restart with the directory still down. Every plan says
  which directory version it used and whether that version may be out of date (``stale``).
- At most one request at a time asks the directory; the others go on with the graph they have.
  After a failure the router waits ``snapshot_max_age_seconds`` before asking again.
- What is fetched is written to the database by a writer thread of its own: the request that
  happened to refresh may hold SQLite's write lock, and must not wait on itself.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from graph import Directory, DirectoryError, PathwayGraph, build_graph, directory_from_dict
from services.common.db import utcnow, writer
from services.common.errors import ServiceUnavailableError

from ..clients.directory import DirectoryClient, DirectoryClientError
from . import repository
from .models import WebhookTarget

log = logging.getLogger("pathways.router.directory")


class NoDirectoryError(ServiceUnavailableError):
    code = "directory_unavailable"
    description = "The router has never had a directory snapshot and cannot reach the directory."


@dataclass(frozen=True, slots=True)
class DirectoryUse:
    """The graph a plan uses, and what to tell the caller about it."""

    graph: PathwayGraph
    version: str
    fetched_at: dt.datetime
    stale: bool
    """The directory could not be reached: this is the last good snapshot."""
    problem: str | None = None


class DirectoryView:
    """Thread-safe holder of the current pathway graph (one per process)."""

    def __init__(
        self,
        *,
        client: DirectoryClient,
        engine: Engine,
        max_age_seconds: float,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._client = client
        self._engine = engine
        self._max_age = dt.timedelta(seconds=max_age_seconds)
        self._clock = clock
        self._lock = threading.Lock()
        self._use: DirectoryUse | None = None
        self._etag: str | None = None
        self._targets_etag: str | None = None
        self._targets_seen: list[tuple[str, str, str, str]] | None = None
        self._checked: dt.datetime | None = None
        self._writes: queue.Queue[Callable[[Session], None] | None] = queue.Queue()
        self._writer = threading.Thread(
            target=self._write_loop, name="pathways-snapshot-writer", daemon=True
        )
        self._writer.start()

    def close(self, timeout: float = 10.0) -> None:
        """Finish the pending writes, then stop the writer thread."""
        self._writes.put(None)
        self._writer.join(timeout)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every write queued so far is done (for tests and shutdown)."""
        done = threading.Event()
        self._writes.put(lambda _session: done.set())
        done.wait(timeout)

    def _write_loop(self) -> None:
        while True:
            job = self._writes.get()
            if job is None:
                return
            try:
                with Session(writer(self._engine)) as session:
                    job(session)
                    session.commit()
            except Exception:
                log.exception("could not store what the directory sent; it is kept in memory")

    # ------------------------------------------------------------------ reading

    @property
    def in_use(self) -> DirectoryUse | None:
        """The snapshot plans use now, without asking the directory (for metrics); None until
        the first one is loaded."""
        return self._use

    def current(self) -> DirectoryUse:
        """The graph to plan with now, refreshed from the directory when it is due."""
        now = self._clock()
        use = self._use
        if use is not None and not self._due(now):
            return use
        if not self._lock.acquire(blocking=use is None):
            return use  # type: ignore[return-value]  # another thread is refreshing; use is set
        try:
            if self._use is None:
                self._load_stored()
            if self._use is None or self._due(self._clock()):
                self._refresh()
        finally:
            self._lock.release()
        if self._use is None:
            raise NoDirectoryError(
                "The directory cannot be reached and the router has no stored snapshot yet; "
                "try again when the directory is up"
            )
        return self._use

    def _due(self, now: dt.datetime) -> bool:
        return self._checked is None or now - self._checked >= self._max_age

    def _load_stored(self) -> None:
        with Session(self._engine) as session:
            stored = repository.load(session=session)
        if stored is None:
            return
        try:
            directory = directory_from_dict(stored.document, strict=False)
        except DirectoryError as exc:  # pragma: no cover - we only store what we validated
            log.error("the stored directory snapshot is not valid: %s", exc)
            return
        self._etag = stored.etag
        self._use = DirectoryUse(
            graph=_build(directory),
            version=directory.version,
            fetched_at=stored.fetched_at,
            stale=True,
            problem="not yet confirmed with the directory since the router started",
        )

    # ------------------------------------------------------------------ refreshing

    def _refresh(self) -> None:
        now = self._clock()
        self._checked = now
        try:
            fetched = self._client.snapshot(etag=self._etag if self._use else None)
            if fetched is None:
                assert self._use is not None
                self._use = DirectoryUse(
                    graph=self._use.graph,
                    version=self._use.version,
                    fetched_at=self._use.fetched_at,
                    stale=False,
                )
                self._sync_targets(force=False)
                return
            directory = directory_from_dict(fetched.document, strict=False)
        except (DirectoryClientError, DirectoryError) as exc:
            log.warning("using the last good directory snapshot: %s", exc)
            if self._use is not None:
                self._use = DirectoryUse(
                    graph=self._use.graph,
                    version=self._use.version,
                    fetched_at=self._use.fetched_at,
                    stale=True,
                    problem=str(exc),
                )
            return
        changed = self._use is None or directory.version != self._use.version
        graph = _build(directory) if changed or self._use is None else self._use.graph
        document, etag = fetched.document, fetched.etag
        self._writes.put(
            lambda session: repository.save(
                session=session, version=directory.version, etag=etag, document=document, at=now
            )
        )
        self._etag = fetched.etag
        self._use = DirectoryUse(
            graph=graph, version=directory.version, fetched_at=now, stale=False
        )
        self._sync_targets(force=changed)

    def _sync_targets(self, *, force: bool) -> None:
        """Copy the webhook targets (URL and secret) the worker needs to sign deliveries."""
        try:
            fetched = self._client.webhook_targets(etag=None if force else self._targets_etag)
        except DirectoryClientError as exc:
            log.warning("could not refresh webhook targets: %s", exc)
            return
        if fetched is None:
            return
        raw = fetched.document.get("targets")
        if not isinstance(raw, list):
            log.warning("the directory's webhook targets are not a list; keeping the old ones")
            return
        now = self._clock()
        targets = [
            WebhookTarget(
                service_id=str(t["service_id"]),
                provider_id=str(t["provider_id"]),
                url=str(t["url"]),
                secret=str(t["secret"]),
                updated_at=now,
            )
            for t in raw
            if isinstance(t, dict) and {"service_id", "provider_id", "url", "secret"} <= set(t)
        ]
        self._targets_etag = fetched.etag
        seen = sorted((t.service_id, t.provider_id, t.url, t.secret) for t in targets)
        if seen == self._targets_seen:
            return
        self._targets_seen = seen
        self._writes.put(
            lambda session: repository.replace_targets(session=session, targets=targets)
        )


def _build(directory: Directory) -> PathwayGraph:
    """The graph of a new directory version, kept out of the garbage collector's full passes.

    A graph of a national directory is millions of objects that live until the next version;
    a full collection walking them all is a pause of tens of milliseconds for whichever request
    is running (bench/README.md). Freezing moves every object alive now to a generation the
    collector skips; reference counting still frees the old graph when it is replaced.
    """
    graph = build_graph(directory)
    gc.freeze()
    return graph
