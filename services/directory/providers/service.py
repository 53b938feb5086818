"""Providers: create, read, list, update, delete."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.common.auth import service as keys
from services.common.auth.schemas import Principal
from services.common.db import utcnow
from services.common.etag import check_if_match, etag_of
from services.common.pagination import Page, decode_cursor, page_of

from ..changes import record_change
from ..errors import AlreadyExistsError, ProviderHasServicesError, ProviderNotFoundError
from ..ids import derived_uuid
from . import repository
from .models import Provider
from .schemas import ProviderCreate, ProviderPublic, ProviderUpdate

LISTING = "providers"
SHOWN_IN_ERRORS = 10


def to_public(provider: Provider) -> ProviderPublic:
    return ProviderPublic(
        id=provider.id,
        name=provider.name,
        description=provider.description,
        contact=dict(provider.contact),
        openreferral_id=derived_uuid("organization", provider.id),
        created_at=provider.created_at,
        updated_at=provider.updated_at,
    )


def etag(provider: ProviderPublic) -> str:
    return etag_of(provider.model_dump(mode="json"))


def _audited(provider: Provider) -> dict[str, Any]:
    return {"name": provider.name, "description": provider.description, "contact": provider.contact}


def _get(*, session: Session, provider_id: str, for_update: bool = False) -> Provider:
    provider = repository.get(session=session, provider_id=provider_id, for_update=for_update)
    if provider is None:
        raise ProviderNotFoundError(f"There is no provider {provider_id!r}")
    return provider


def create_provider(*, session: Session, data: ProviderCreate, by: Principal) -> ProviderPublic:
    if repository.exists(session=session, provider_id=data.id):
        raise AlreadyExistsError(f"A provider with the id {data.id!r} already exists")
    now = utcnow()
    provider = repository.add(
        session=session,
        provider=Provider(
            id=data.id,
            name=data.name,
            description=data.description,
            contact=dict(data.contact),
            created_at=now,
            updated_at=now,
        ),
    )
    record_change(
        session=session,
        by=by,
        action="provider.create",
        entity_type="provider",
        entity_id=provider.id,
        before=None,
        after=_audited(provider),
    )
    return to_public(provider)


def get_provider(*, session: Session, provider_id: str) -> ProviderPublic:
    return to_public(_get(session=session, provider_id=provider_id))


def list_providers(*, session: Session, cursor: str | None, limit: int) -> Page[ProviderPublic]:
    after = decode_cursor(LISTING, cursor)
    rows = repository.page(
        session=session, after=after if isinstance(after, str) else None, limit=limit + 1
    )
    return page_of(rows, limit=limit, listing=LISTING, key=lambda p: p.id, to_public=to_public)


def update_provider(
    *,
    session: Session,
    provider_id: str,
    data: ProviderUpdate,
    if_match: str | None,
    by: Principal,
) -> ProviderPublic:
    provider = _get(session=session, provider_id=provider_id, for_update=True)
    check_if_match(
        if_match, etag(to_public(provider)), required=True, what=f"provider {provider_id!r}"
    )
    before = _audited(provider)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(provider, field, value)
    if _audited(provider) != before:
        provider.updated_at = utcnow()
        session.add(provider)
        session.flush()
        record_change(
            session=session,
            by=by,
            action="provider.update",
            entity_type="provider",
            entity_id=provider.id,
            before=before,
            after=_audited(provider),
        )
    return to_public(provider)


def delete_provider(
    *, session: Session, provider_id: str, if_match: str | None, by: Principal
) -> None:
    provider = _get(session=session, provider_id=provider_id, for_update=True)
    check_if_match(
        if_match, etag(to_public(provider)), required=False, what=f"provider {provider_id!r}"
    )
    total, ids = repository.service_ids(
        session=session, provider_id=provider_id, limit=SHOWN_IN_ERRORS
    )
    if total:
        more = f" and {total - len(ids)} more" if total > len(ids) else ""
        raise ProviderHasServicesError(
            f"Provider {provider_id!r} still runs {total} service(s): {', '.join(ids)}{more}. "
            "Delete them, or move them to another provider, first."
        )
    before = _audited(provider)
    repository.delete(session=session, provider=provider)
    # A key bound to a provider that no longer exists must not come back to life if the id is
    # ever reused.
    keys.revoke_provider_keys(session=session, provider_id=provider_id, by=by)
    record_change(
        session=session,
        by=by,
        action="provider.delete",
        entity_type="provider",
        entity_id=provider_id,
        before=before,
        after=None,
    )
