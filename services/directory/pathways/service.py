"""Pathways: create, read, list, delete. A pathway is its two ends; to change its days, delete
it and add it again (both steps are audited)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from graph.codec import eligibility_from_dict
from graph.vocabulary import ENTRY_NODES, ENTRY_SELF
from services.common.auth.schemas import Principal
from services.common.db import utcnow
from services.common.errors import UnprocessableContentError
from services.common.pagination import Page, decode_cursor, page_of

from ..changes import record_change
from ..errors import AlreadyExistsError, NoSelfReferralError, PathwayNotFoundError
from ..ids import pathway_id as derived_pathway_id
from ..services import repository as services
from . import repository
from .models import Pathway
from .schemas import PathwayCreate, PathwayPublic

LISTING = "pathways"


def to_public(pathway: Pathway) -> PathwayPublic:
    return PathwayPublic(
        id=pathway.id,
        from_service=pathway.from_node,
        to_service=pathway.to_service_id,
        days=pathway.days,
        created_at=pathway.created_at,
    )


def _audited(pathway: Pathway) -> dict[str, Any]:
    return {
        "from_service": pathway.from_node,
        "to_service": pathway.to_service_id,
        "days": pathway.days,
    }


def create_pathway(
    *, session: Session, data: PathwayCreate, by: Principal, pathway_id: str | None = None
) -> PathwayPublic:
    """Add a pathway. Its id is derived from its ends unless an import gives one."""
    source, target = data.from_service, data.to_service
    if source == target:
        raise UnprocessableContentError.at(["body", "to_service"], "must differ from from_service")
    target_service = services.get(session=session, service_id=target)
    if target_service is None:
        raise UnprocessableContentError.at(["body", "to_service"], f"names no service: {target!r}")
    if source not in ENTRY_NODES and not services.exists(session=session, service_id=source):
        raise UnprocessableContentError.at(
            ["body", "from_service"], f"names no service or entry node: {source!r}"
        )
    if repository.between(session=session, from_node=source, to_service=target) is not None:
        raise AlreadyExistsError(f"The pathway {source} → {target} already exists")
    if (
        source == ENTRY_SELF
        and not eligibility_from_dict(
            target_service.eligibility, "eligibility"
        ).accepts_self_referral
    ):
        raise NoSelfReferralError(
            f"{target!r} does not accept self-referrals (eligibility.self_referral is false), "
            "so entry:self cannot lead to it"
        )
    new_id = pathway_id or derived_pathway_id(source, target)
    if repository.get(session=session, pathway_id=new_id) is not None:
        raise AlreadyExistsError(f"A pathway with the id {new_id!r} already exists")
    pathway = repository.add(
        session=session,
        pathway=Pathway(
            id=new_id,
            from_service_id=None if source in ENTRY_NODES else source,
            from_entry=source if source in ENTRY_NODES else None,
            to_service_id=target,
            days=data.days,
            created_at=utcnow(),
        ),
    )
    record_change(
        session=session,
        by=by,
        action="pathway.create",
        entity_type="pathway",
        entity_id=pathway.id,
        before=None,
        after=_audited(pathway),
    )
    return to_public(pathway)


def get_pathway(*, session: Session, pathway_id: str) -> PathwayPublic:
    pathway = repository.get(session=session, pathway_id=pathway_id)
    if pathway is None:
        raise PathwayNotFoundError(f"There is no pathway {pathway_id!r}")
    return to_public(pathway)


def list_pathways(
    *,
    session: Session,
    cursor: str | None,
    limit: int,
    from_service: str | None = None,
    to_service: str | None = None,
    service: str | None = None,
) -> Page[PathwayPublic]:
    after = decode_cursor(LISTING, cursor)
    rows = repository.page(
        session=session,
        after=after if isinstance(after, str) else None,
        limit=limit + 1,
        from_node=from_service,
        to_service=to_service,
        touching=service,
    )
    return page_of(rows, limit=limit, listing=LISTING, key=lambda p: p.id, to_public=to_public)


def delete_pathway(*, session: Session, pathway_id: str, by: Principal) -> None:
    pathway = repository.get(session=session, pathway_id=pathway_id, for_update=True)
    if pathway is None:
        raise PathwayNotFoundError(f"There is no pathway {pathway_id!r}")
    before = _audited(pathway)
    repository.delete(session=session, pathway=pathway)
    record_change(
        session=session,
        by=by,
        action="pathway.delete",
        entity_type="pathway",
        entity_id=pathway_id,
        before=before,
        after=None,
    )
