"""Services: create, read, list, update, capacity, delete.

Eligibility is stored exactly as graph/ reads it, after graph's own codec has read it back: the
directory never holds a service that the router could not load. The rules themselves live in
graph/ only.

Deleting a service that pathways still use is refused with the pathways named. Open handovers
live in the router's database, which the directory does not read: the router keeps serving a
handover from the snapshot it had, and a service's pathways must be removed (visibly, in the
audit log) before it can go.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import Enum
from typing import Any

from sqlmodel import Session

from graph.codec import eligibility_from_dict, eligibility_to_dict, service_from_dict
from graph.errors import DirectoryError
from graph.vocabulary import AccessNeed, CapacityStatus
from services.common.auth.schemas import Principal, Role
from services.common.db import utcnow
from services.common.errors import UnprocessableContentError
from services.common.etag import check_if_match, etag_of
from services.common.pagination import Page, decode_cursor, page_of

from ..changes import record_change
from ..errors import (
    AlreadyExistsError,
    SelfReferralPathwaysError,
    ServiceHasPathwaysError,
    ServiceNotFoundError,
)
from ..ids import derived_uuid
from ..providers import repository as providers
from . import repository, webhooks
from .models import Service
from .schemas import (
    Capacity,
    CapacityIn,
    Eligibility,
    ServiceCreate,
    ServicePublic,
    ServiceUpdate,
    Webhook,
    WebhookIn,
)

LISTING = "services"
SHOWN_IN_ERRORS = 10


class _Now(Enum):
    NOW = "now"


NOW = _Now.NOW
"""Stamp capacity figures with the time of the request (what the API always does)."""


# --------------------------------------------------------------------------- representations


def capacity_of(service: Service) -> Capacity:
    return Capacity(
        status=CapacityStatus(service.capacity_status),
        available=service.capacity_available,
        maximum=service.capacity_maximum,
        updated=service.capacity_updated,
    )


def to_public(service: Service, *, show_webhook: bool) -> ServicePublic:
    """The API representation; the webhook only when ``show_webhook`` (admins)."""
    extra: dict[str, Any] = {}
    if show_webhook:
        extra["webhook"] = (
            Webhook(url=service.webhook_url, secret=service.webhook_secret)
            if service.webhook_url and service.webhook_secret
            else None
        )
    return ServicePublic(
        id=service.id,
        provider_id=service.provider_id,
        name=service.name,
        description=service.description,
        needs=service.needs,
        specialisms=service.specialisms,
        eligibility=Eligibility.model_validate(service.eligibility),
        capacity=capacity_of(service),
        response_hours=service.response_hours,
        contact=dict(service.contact),
        languages=list(service.languages),
        interpreters=service.interpreters,
        access=[AccessNeed(a) for a in service.access],
        openreferral_id=service.openreferral_id,
        created_at=service.created_at,
        updated_at=service.updated_at,
        **extra,
    )


def representation(service: ServicePublic) -> dict[str, Any]:
    """Exactly what the API sends (fields not set, like a hidden webhook, left out)."""
    return service.model_dump(mode="json", exclude_unset=True)


def etag(service: ServicePublic) -> str:
    return etag_of(representation(service))


def graph_dict(service: Service) -> dict[str, Any]:
    """The service in graph.codec's shape (the snapshot's): no webhook, no timestamps.

    Languages, interpreters and access are left out while undeclared, as graph writes them, so
    a directory that declares none has the snapshot (and audit entries) it always had."""
    updated = service.capacity_updated
    doc: dict[str, Any] = {
        "id": service.id,
        "provider_id": service.provider_id,
        "name": service.name,
        "description": service.description,
        "needs": list(service.needs),
        "specialisms": list(service.specialisms),
        "eligibility": service.eligibility,
        "capacity": {
            "status": service.capacity_status,
            "available": service.capacity_available,
            "maximum": service.capacity_maximum,
            "updated": updated.isoformat() if updated else None,
        },
        "response_hours": service.response_hours,
        "contact": dict(service.contact),
    }
    if service.languages:
        doc["languages"] = list(service.languages)
    if service.interpreters:
        doc["interpreters"] = True
    if service.access:
        doc["access"] = list(service.access)
    return doc


def _fingerprint(secret: str | None) -> str | None:
    # The audit log must show that a secret changed without showing the secret.
    if secret is None:
        return None
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def _audited(service: Service) -> dict[str, Any]:
    view = graph_dict(service)
    view["webhook"] = (
        {"url": service.webhook_url, "secret": _fingerprint(service.webhook_secret)}
        if service.webhook_url
        else None
    )
    return view


# --------------------------------------------------------------------------- checks


def _normalised_eligibility(eligibility: Eligibility) -> dict[str, Any]:
    """Read by graph's codec and written back: the one canonical stored form."""
    raw = eligibility.model_dump(mode="json", exclude_none=True)
    try:
        return eligibility_to_dict(eligibility_from_dict(raw, "eligibility"))
    except DirectoryError as exc:
        raise UnprocessableContentError.at(["body", *exc.field.split(".")], exc.message) from None


def _specialisms_within(needs: list[str], specialisms: list[str]) -> list[str]:
    outside = sorted(set(specialisms) - set(needs))
    if outside:
        raise UnprocessableContentError.at(
            ["body", "specialisms"], f"must be a subset of needs; not in needs: {outside}"
        )
    return [n for n in needs if n in specialisms]  # in needs' order, as graph writes it


def _webhook(webhook: WebhookIn, *, allow_insecure: bool) -> tuple[str, str]:
    problem = webhooks.url_problem(webhook.url, allow_insecure=allow_insecure)
    if problem is not None:
        raise UnprocessableContentError.at(["body", "webhook", "url"], problem)
    return webhook.url, webhook.secret or webhooks.generate_secret()


def _provider_must_exist(*, session: Session, provider_id: str) -> None:
    if not providers.exists(session=session, provider_id=provider_id):
        raise UnprocessableContentError.at(
            ["body", "provider_id"], f"names no provider: {provider_id!r}"
        )


def _readable_by_graph(service: Service) -> None:
    try:
        service_from_dict(graph_dict(service), "body")
    except DirectoryError as exc:
        raise UnprocessableContentError.at(exc.field.split("."), exc.message) from None


def _reindex(*, session: Session, service: Service) -> None:
    areas = service.eligibility.get("areas")
    service.serves_all_areas = areas is None
    repository.replace_indexes(
        session=session, service_id=service.id, needs=service.needs, areas=areas or ()
    )


def _get(*, session: Session, service_id: str, for_update: bool = False) -> Service:
    service = repository.get(session=session, service_id=service_id, for_update=for_update)
    if service is None:
        raise ServiceNotFoundError(f"There is no service {service_id!r}")
    return service


# --------------------------------------------------------------------------- operations


def create_service(
    *,
    session: Session,
    data: ServiceCreate,
    by: Principal,
    allow_insecure_webhooks: bool,
    capacity_updated: dt.datetime | _Now | None = NOW,
) -> ServicePublic:
    """Add a service. Capacity figures given here are stamped now, unless an import says when
    they were last confirmed (None: never)."""
    if repository.exists(session=session, service_id=data.id):
        raise AlreadyExistsError(f"A service with the id {data.id!r} already exists")
    _provider_must_exist(session=session, provider_id=data.provider_id)
    needs = [n.value for n in data.needs]
    url, secret = (
        _webhook(data.webhook, allow_insecure=allow_insecure_webhooks)
        if data.webhook is not None
        else (None, None)
    )
    capacity = data.capacity or CapacityIn(status=CapacityStatus.GREEN)
    now = utcnow()
    service = Service(
        id=data.id,
        provider_id=data.provider_id,
        openreferral_id=derived_uuid("service", data.id),
        name=data.name,
        description=data.description,
        needs=needs,
        specialisms=_specialisms_within(needs, [n.value for n in data.specialisms]),
        eligibility=_normalised_eligibility(data.eligibility),
        serves_all_areas=True,
        capacity_status=capacity.status.value,
        capacity_available=capacity.available,
        capacity_maximum=capacity.maximum,
        capacity_updated=(now if capacity_updated is NOW else capacity_updated)
        if data.capacity is not None
        else None,
        response_hours=data.response_hours,
        contact=dict(data.contact),
        languages=list(data.languages),
        interpreters=data.interpreters,
        access=sorted(a.value for a in data.access),
        webhook_url=url,
        webhook_secret=secret,
        created_at=now,
        updated_at=now,
    )
    _readable_by_graph(service)
    repository.save(session=session, service=service)
    _reindex(session=session, service=service)
    record_change(
        session=session,
        by=by,
        action="service.create",
        entity_type="service",
        entity_id=service.id,
        before=None,
        after=_audited(service),
    )
    return to_public(service, show_webhook=by.role is Role.ADMIN)


def get_service(*, session: Session, service_id: str, by: Principal) -> ServicePublic:
    service = _get(session=session, service_id=service_id)
    return to_public(service, show_webhook=by.role is Role.ADMIN)


def list_services(
    *,
    session: Session,
    by: Principal,
    cursor: str | None,
    limit: int,
    area: str | None = None,
    need: str | None = None,
    provider_id: str | None = None,
    capacity_status: str | None = None,
) -> Page[ServicePublic]:
    after = decode_cursor(LISTING, cursor)
    rows = repository.page(
        session=session,
        after=after if isinstance(after, str) else None,
        limit=limit + 1,
        area=area,
        need=need,
        provider_id=provider_id,
        capacity_status=capacity_status,
    )
    admin = by.role is Role.ADMIN
    return page_of(
        rows,
        limit=limit,
        listing=LISTING,
        key=lambda s: s.id,
        to_public=lambda s: to_public(s, show_webhook=admin),
    )


def update_service(
    *,
    session: Session,
    service_id: str,
    data: ServiceUpdate,
    if_match: str | None,
    by: Principal,
    allow_insecure_webhooks: bool,
) -> ServicePublic:
    service = _get(session=session, service_id=service_id, for_update=True)
    check_if_match(
        if_match,
        etag(to_public(service, show_webhook=True)),
        required=True,
        what=f"service {service_id!r}",
    )
    before = _audited(service)
    given = data.model_fields_set
    if "provider_id" in given and data.provider_id is not None:
        _provider_must_exist(session=session, provider_id=data.provider_id)
        service.provider_id = data.provider_id
    for field in ("name", "description", "response_hours"):
        if field in given:
            setattr(service, field, getattr(data, field))
    if "contact" in given and data.contact is not None:
        service.contact = dict(data.contact)
    if "languages" in given and data.languages is not None:
        service.languages = list(data.languages)
    if "interpreters" in given and data.interpreters is not None:
        service.interpreters = data.interpreters
    if "access" in given and data.access is not None:
        service.access = sorted(a.value for a in data.access)
    if "needs" in given and data.needs is not None:
        service.needs = [n.value for n in data.needs]
    specialisms = (
        [n.value for n in data.specialisms]
        if "specialisms" in given and data.specialisms is not None
        else service.specialisms
    )
    service.specialisms = _specialisms_within(service.needs, specialisms)
    if "eligibility" in given and data.eligibility is not None:
        service.eligibility = _normalised_eligibility(data.eligibility)
        accepts_self = eligibility_from_dict(
            service.eligibility, "eligibility"
        ).accepts_self_referral
        if not accepts_self and repository.has_self_referral_pathway(
            session=session, service_id=service.id
        ):
            raise SelfReferralPathwaysError(
                f"An entry:self pathway leads to {service.id!r}, so it must keep accepting "
                "self-referrals: delete that pathway first, or leave self_referral unset or true"
            )
    if "webhook" in given:
        if data.webhook is None:
            service.webhook_url, service.webhook_secret = None, None
        else:
            service.webhook_url, service.webhook_secret = _webhook(
                data.webhook, allow_insecure=allow_insecure_webhooks
            )
    if _audited(service) != before:
        _readable_by_graph(service)
        service.updated_at = utcnow()
        repository.save(session=session, service=service)
        _reindex(session=session, service=service)
        record_change(
            session=session,
            by=by,
            action="service.update",
            entity_type="service",
            entity_id=service.id,
            before=before,
            after=_audited(service),
        )
    return to_public(service, show_webhook=by.role is Role.ADMIN)


def put_capacity(*, session: Session, service_id: str, data: CapacityIn, by: Principal) -> Capacity:
    """Set the capacity figures, stamped now. Admins, or the provider that runs the service:
    to any other provider the service does not exist (404)."""
    service = repository.get(session=session, service_id=service_id, for_update=True)
    if service is None or (by.role is Role.PROVIDER and not by.owns(service.provider_id)):
        raise ServiceNotFoundError(f"There is no service {service_id!r} that you run")
    before = capacity_of(service).model_dump(mode="json")
    service.capacity_status = data.status.value
    service.capacity_available = data.available
    service.capacity_maximum = data.maximum
    service.capacity_updated = utcnow()
    repository.save(session=session, service=service)
    after = capacity_of(service)
    record_change(
        session=session,
        by=by,
        action="capacity.update",
        entity_type="service",
        entity_id=service.id,
        before=before,
        after=after.model_dump(mode="json"),
    )
    return after


def delete_service(
    *, session: Session, service_id: str, if_match: str | None, by: Principal
) -> None:
    service = _get(session=session, service_id=service_id, for_update=True)
    check_if_match(
        if_match,
        etag(to_public(service, show_webhook=True)),
        required=False,
        what=f"service {service_id!r}",
    )
    into, out_of, first = repository.pathways_touching(
        session=session, service_id=service_id, limit=SHOWN_IN_ERRORS
    )
    if into or out_of:
        named = ", ".join(f"{p.id} ({p.from_node} → {p.to_service_id})" for p in first)
        more = " …" if into + out_of > len(first) else ""
        raise ServiceHasPathwaysError(
            f"Service {service_id!r} still has {into + out_of} pathway(s), {into} into it and "
            f"{out_of} out of it: {named}{more}. Delete them first (DELETE /pathways/{{id}}), "
            "so that no route silently loses a step."
        )
    before = _audited(service)
    repository.delete(session=session, service=service)
    record_change(
        session=session,
        by=by,
        action="service.delete",
        entity_type="service",
        entity_id=service_id,
        before=before,
        after=None,
    )
