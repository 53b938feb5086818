"""The router's own metrics, read when ``GET /metrics`` is scraped.

From the database (a few aggregate reads, cached for ``metrics_cache_seconds``; the same from
every instance, so aggregate across instances with ``max``)::

    pathways_referrals_total{source_kind, risk_level}   counter: referrals made, by who sent
                                                        them and the risk level of their first
                                                        assessment (a later reassessment does
                                                        not move a referral between series)
    pathways_handovers{status}                          gauge: open handovers in each status
                                                        (proposed, requested, accepted,
                                                        in_progress)
    pathways_outbox_events{status}                      gauge: webhook events pending delivery,
                                                        and dead-lettered
    pathways_outbox_oldest_pending_age_seconds          gauge: how long the oldest pending
                                                        event has waited (0: none pending)

From this process's memory, on every scrape::

    pathways_directory_snapshot_version                 gauge: the directory version it plans with
    pathways_directory_snapshot_age_seconds             gauge: since that snapshot was fetched
    pathways_directory_snapshot_stale                   gauge: 1 while the directory cannot be
                                                        reached and the last good one is used

Closed handovers (completed, declined, expired, cancelled) are left out of the gauge: they only
ever grow, and counting them would scan every handover ever made on each scrape, where the open
ones are read through the ``(status, respond_by)`` index. The referrals count does read every
referral (with its first assessment, by the unique ``(referral_id, seq)`` index): about 70 ms on
PostgreSQL at 100,000 referrals (the open handovers ~15 ms, the outbox < 1 ms), once per
``metrics_cache_seconds`` at most.

The queries live here rather than in each feature's ``repository.py``: they read across
features, only for this purpose, and are aggregate ``GROUP BY`` counts on indexed columns
(the referrals count joins each referral's first assessment by its unique index).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import Connection, Engine, Table, func, select

from graph.vocabulary import HandoverStatus, RiskLevel, SourceKind
from services.common.db import utcnow
from services.common.observability.metrics import DatabaseCollector, gauge_by_label

from .handovers.models import Handover
from .outbox.models import OutboxEvent
from .outbox.repository import DEAD, PENDING
from .referrals.models import Assessment, Referral
from .snapshot.service import DirectoryUse

OPEN_HANDOVER_STATUSES = [
    HandoverStatus.PROPOSED.value,
    HandoverStatus.REQUESTED.value,
    HandoverStatus.ACCEPTED.value,
    HandoverStatus.IN_PROGRESS.value,
]

_HANDOVERS: Table = Handover.__table__  # type: ignore[attr-defined]
_OUTBOX: Table = OutboxEvent.__table__  # type: ignore[attr-defined]
_REFERRALS: Table = Referral.__table__  # type: ignore[attr-defined]
_ASSESSMENTS: Table = Assessment.__table__  # type: ignore[attr-defined]


class RouterCollector(DatabaseCollector):
    """Handovers, the outbox and referrals from the database; the directory snapshot in use
    from ``in_use`` (``DirectoryView.in_use``: never asks the directory)."""

    def __init__(
        self,
        *,
        engine: Engine,
        cache_seconds: float,
        in_use: Callable[[], DirectoryUse | None],
    ) -> None:
        super().__init__(engine=engine, cache_seconds=cache_seconds)
        self._in_use = in_use

    def read(self, connection: Connection) -> Iterable[Metric]:
        yield self._referrals(connection)
        handovers = connection.execute(
            select(_HANDOVERS.c.status, func.count())
            .where(_HANDOVERS.c.status.in_(OPEN_HANDOVER_STATUSES))
            .group_by(_HANDOVERS.c.status)
        ).all()
        yield gauge_by_label(
            "pathways_handovers",
            "Open handovers in each status (from the database).",
            "status",
            {status: count for status, count in handovers},
            OPEN_HANDOVER_STATUSES,
        )
        outbox = connection.execute(
            select(_OUTBOX.c.status, func.count(), func.min(_OUTBOX.c.created_at))
            .where(_OUTBOX.c.status.in_((PENDING, DEAD)))
            .group_by(_OUTBOX.c.status)
        ).all()
        yield gauge_by_label(
            "pathways_outbox_events",
            "Webhook events waiting to be delivered (pending) or given up on (dead).",
            "status",
            {status: count for status, count, _oldest in outbox},
            [PENDING, DEAD],
        )
        oldest = next((o for status, _count, o in outbox if status == PENDING), None)
        yield GaugeMetricFamily(
            "pathways_outbox_oldest_pending_age_seconds",
            "How long the oldest webhook event still pending has waited; 0 when none is.",
            value=max(0.0, (utcnow() - _utc(oldest)).total_seconds()) if oldest else 0.0,
        )

    def _referrals(self, connection: Connection) -> Metric:
        first = _ASSESSMENTS.alias("first")
        rows = connection.execute(
            select(_REFERRALS.c.source_kind, first.c.risk_level, func.count())
            .join(first, (first.c.referral_id == _REFERRALS.c.id) & (first.c.seq == 1))
            .group_by(_REFERRALS.c.source_kind, first.c.risk_level)
        ).all()
        counts = {(kind, level): count for kind, level, count in rows}
        family = CounterMetricFamily(
            "pathways_referrals",
            "Referrals made, by source kind and the risk level of their first assessment "
            "(from the database).",
            labels=("source_kind", "risk_level"),
        )
        known = [(k.value, r.value) for k in SourceKind for r in RiskLevel]
        for labels in [*known, *sorted(set(counts) - set(known))]:
            family.add_metric(labels, counts.get(labels, 0))
        return family

    def live(self) -> Iterable[Metric]:
        use = self._in_use()
        if use is None:
            return
        if use.version.isdigit():
            yield GaugeMetricFamily(
                "pathways_directory_snapshot_version",
                "The directory version this process plans with.",
                value=int(use.version),
            )
        yield GaugeMetricFamily(
            "pathways_directory_snapshot_age_seconds",
            "Seconds since the directory snapshot in use was fetched.",
            value=max(0.0, (utcnow() - use.fetched_at).total_seconds()),
        )
        yield GaugeMetricFamily(
            "pathways_directory_snapshot_stale",
            "1 while the directory cannot be reached and the last good snapshot is used.",
            value=1 if use.stale else 0,
        )


def _utc(value: object) -> dt.datetime:
    # ``min()`` bypasses the column's type on some backends: SQLite answers a naive datetime
    # (stored in UTC) or even its text.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
