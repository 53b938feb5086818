"""Loading a directory document (the shipped Cambridgeshire and Peterborough one by default).

The seed makes every provider, service and pathway that the document names match it, and
leaves everything else alone. Capacity is live data that providers keep current, so it is taken
from the document only when a service is first created. Running it twice changes nothing: the
second run finds everything equal, writes nothing, records nothing and leaves the version as it
was. Every change goes through the same service functions as the API (same validation, audit
and version bump), as the operator ``pathways seed``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from graph.codec import directory_from_dict, load_directory_document
from graph.errors import DirectoryError
from services.common.auth.schemas import Principal
from services.common.errors import ProblemError
from services.common.inputs import SAFE_ID_PATTERN

from .pathways import repository as pathway_repository
from .pathways import service as pathways
from .pathways.schemas import PathwayCreate
from .providers import repository as provider_repository
from .providers import service as providers
from .providers.schemas import ProviderCreate, ProviderUpdate
from .services import repository as service_repository
from .services import service as services
from .services.schemas import ServiceCreate, ServiceUpdate

OPERATOR = Principal.operator("pathways seed")
M = TypeVar("M", bound=BaseModel)


class SeedError(ValueError):
    """The document cannot be loaded; the message names the place."""


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()))

    def summary(self) -> str:
        kinds = ("provider", "service", "pathway")
        return "; ".join(
            f"{kind}s: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in kinds
        )


def _parse(model: type[M], value: object, where: str) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise SeedError(f"{where}{'.' + loc if loc else ''}: {first['msg']}") from None


def seed(
    *, session: Session, document: dict[str, Any] | None = None, by: Principal = OPERATOR
) -> SeedReport:
    """Make the directory hold ``document`` (the shipped one when None). Flushes, never commits."""
    doc = load_directory_document() if document is None else document
    try:
        directory_from_dict(doc)  # graph/'s own reading first: one clear error for a bad file
    except DirectoryError as exc:
        raise SeedError(f"{exc.field or 'the document'}: {exc.message}") from None
    report = SeedReport()
    steps = [
        *(
            (f"providers[{i}]", raw, _seed_provider)
            for i, raw in enumerate(doc.get("providers") or [])
        ),
        *((f"services[{i}]", raw, _seed_service) for i, raw in enumerate(doc["services"])),
        *((f"pathways[{i}]", raw, _seed_pathway) for i, raw in enumerate(doc["pathways"])),
    ]
    for where, raw, step in steps:
        try:
            step(session, raw, where, by, report)
        except ProblemError as exc:  # what the API would have refused, said about the file
            raise SeedError(f"{where}: {exc.detail}") from None
    return report


def _seed_provider(
    session: Session, raw: dict[str, Any], where: str, by: Principal, report: SeedReport
) -> None:
    data = _parse(ProviderCreate, raw, where)
    existing = provider_repository.get(session=session, provider_id=data.id)
    if existing is None:
        providers.create_provider(session=session, data=data, by=by)
        report.created["provider"] += 1
        return
    current = providers.to_public(existing)
    after = providers.update_provider(
        session=session,
        provider_id=data.id,
        data=ProviderUpdate(name=data.name, description=data.description, contact=data.contact),
        if_match=providers.etag(current),
        by=by,
    )
    (report.updated if after != current else report.unchanged)["provider"] += 1


def _seed_service(
    session: Session, raw: dict[str, Any], where: str, by: Principal, report: SeedReport
) -> None:
    body = dict(raw)
    capacity = dict(body.pop("capacity", None) or {})
    updated = capacity.pop("updated", None)
    if capacity:
        body["capacity"] = capacity
    data = _parse(ServiceCreate, body, where)
    existing = service_repository.get(session=session, service_id=data.id)
    if existing is None:
        services.create_service(
            session=session,
            data=data,
            by=by,
            allow_insecure_webhooks=False,
            # The shipped file gives no date: loading it is when its figures were confirmed.
            capacity_updated=dt.datetime.fromisoformat(updated) if updated else services.NOW,
        )
        report.created["service"] += 1
        return
    current = services.to_public(existing, show_webhook=True)
    fields = data.model_dump(exclude={"id", "capacity", "webhook"})
    after = services.update_service(
        session=session,
        service_id=data.id,
        data=ServiceUpdate.model_validate(fields),
        if_match=services.etag(current),
        by=by,
        allow_insecure_webhooks=False,
    )
    (report.updated if after.updated_at != current.updated_at else report.unchanged)["service"] += 1


def _seed_pathway(
    session: Session, raw: dict[str, Any], where: str, by: Principal, report: SeedReport
) -> None:
    body = dict(raw)
    given_id = body.pop("id", None)
    if given_id is not None and not re.match(SAFE_ID_PATTERN, str(given_id)):
        raise SeedError(f"{where}.id: must match {SAFE_ID_PATTERN}, not {given_id!r}")
    data = _parse(PathwayCreate, body, where)
    existing = pathway_repository.between(
        session=session, from_node=data.from_service, to_service=data.to_service
    )
    if existing is not None and existing.days == data.days:
        report.unchanged["pathway"] += 1
        return
    if existing is not None:
        # A pathway is its two ends: new days means a new pathway (both steps audited).
        pathways.delete_pathway(session=session, pathway_id=existing.id, by=by)
        report.updated["pathway"] += 1
    else:
        report.created["pathway"] += 1
    pathways.create_pathway(
        session=session,
        data=data,
        by=by,
        pathway_id=str(given_id) if given_id is not None else None,
    )
