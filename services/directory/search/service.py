"""Running a search against the current directory version."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from graph.access import access_match
from graph.codec import referral_from_dict
from graph.errors import InputError
from graph.search import search as graph_search
from services.common.errors import UnprocessableContentError

from ..snapshot import service as snapshots
from ..snapshot.service import SnapshotCache
from .schemas import GapPublic, SearchHitPublic, SearchRequest, SearchResponse

DEFAULT_SOURCE = {"kind": "agency"}


def search(
    *,
    session: Session,
    cache: SnapshotCache,
    body: SearchRequest,
    now: dt.datetime,
) -> SearchResponse:
    """Rank the eligible services for the profile in ``body`` as of ``now`` (UTC)."""
    raw: dict[str, Any] = body.model_dump(mode="json", exclude_none=True)
    raw.setdefault("source", DEFAULT_SOURCE)
    today = now.date()
    try:
        referral = referral_from_dict(raw, today=today)
    except InputError as exc:
        raise UnprocessableContentError.at(["body", *exc.field.split(".")], exc.message) from None
    snapshot = snapshots.current(session=session, cache=cache)
    result = graph_search(cache.graph(snapshot), referral, as_of=today, now=now)
    services = {s.id: s for s in snapshot.directory.services}
    hits = []
    for h in result.results:
        fit = access_match(services[h.service_id], referral.victim)
        hits.append(
            SearchHitPublic(
                service_id=h.service_id,
                needs_met=list(h.needs_met),
                score=h.score,
                language=fit.language,
                interpreter=fit.interpreter,
                access_to_arrange=sorted(fit.to_arrange),
            )
        )
    return SearchResponse(
        directory_version=snapshot.version,
        results=hits,
        gaps=[GapPublic(service_id=g.service_id, failed=list(g.failed)) for g in result.gaps],
    )
