"""The directory's own metrics, read from its database when ``GET /metrics`` is scraped
(cached for ``metrics_cache_seconds``; the same from every instance)::

    pathways_directory_services{capacity_status}   gauge: services by their capacity status
    pathways_directory_services_capacity_stale     gauge: services whose capacity figure is more
                                                   than 24 h old (routing reads it as amber)
    pathways_directory_version                     gauge: the directory's version (the snapshot's)
    pathways_directory_version_age_seconds         gauge: since the directory last changed

Two small aggregate reads: the services table is a few hundred rows, ``directory_state`` one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Connection, Table, func, or_, select

from graph.vocabulary import CapacityStatus
from services.common.db import utcnow
from services.common.observability.metrics import DatabaseCollector, gauge_by_label

from .services.models import Service
from .snapshot.models import STATE_ROW, DirectoryState

CAPACITY_STALE_AFTER = dt.timedelta(hours=24)
"""DESIGN.md §4: a capacity figure not updated for 24 h is treated as unknown."""

_SERVICES: Table = Service.__table__  # type: ignore[attr-defined]
_STATE: Table = DirectoryState.__table__  # type: ignore[attr-defined]


class DirectoryCollector(DatabaseCollector):
    def read(self, connection: Connection) -> Iterable[Metric]:
        now = utcnow()
        rows = connection.execute(
            select(_SERVICES.c.capacity_status, func.count()).group_by(_SERVICES.c.capacity_status)
        ).all()
        yield gauge_by_label(
            "pathways_directory_services",
            "Services in the directory, by capacity status.",
            "capacity_status",
            {status: count for status, count in rows},
            [c.value for c in CapacityStatus],
        )
        stale = connection.execute(
            select(func.count()).where(
                or_(
                    _SERVICES.c.capacity_updated.is_(None),
                    _SERVICES.c.capacity_updated < now - CAPACITY_STALE_AFTER,
                )
            )
        ).scalar_one()
        yield GaugeMetricFamily(
            "pathways_directory_services_capacity_stale",
            "Services whose capacity was not updated in the last 24 hours (read as amber).",
            value=stale,
        )
        state = connection.execute(
            select(_STATE.c.version, _STATE.c.changed_at).where(_STATE.c.id == STATE_ROW)
        ).first()
        if state is not None:
            version, changed_at = state
            yield GaugeMetricFamily(
                "pathways_directory_version",
                "The directory's version: the snapshot the routers fetch.",
                value=version,
            )
            yield GaugeMetricFamily(
                "pathways_directory_version_age_seconds",
                "Seconds since the directory last changed.",
                value=max(0.0, (now - changed_at).total_seconds()),
            )
