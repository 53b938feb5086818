"""Small typed factories and an API helper for the directory's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.auth.schemas import Principal, Role
from services.common.auth.service import create_key
from services.common.db import writer

PROBLEM_JSON = "application/problem+json"
PROVIDER_A = "prov-a"
PROVIDER_B = "prov-b"
CAMBRIDGE = "E07000008"
PETERBOROUGH = "E06000031"


@dataclass(frozen=True)
class Keys:
    admin: str
    referrer: str
    service: str
    provider_a: str
    provider_b: str

    def of(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, who)}"}


def make_keys(engine: Engine) -> Keys:
    """One key per role (two provider keys: for ``prov-a`` and ``prov-b``)."""
    made: dict[str, str] = {}
    operator = Principal.operator("tests")
    with Session(writer(engine)) as session:
        for who, role, provider in (
            ("admin", Role.ADMIN, None),
            ("referrer", Role.REFERRER, None),
            ("service", Role.SERVICE, None),
            ("provider_a", Role.PROVIDER, PROVIDER_A),
            ("provider_b", Role.PROVIDER, PROVIDER_B),
        ):
            _row, made[who] = create_key(
                session=session, role=role, name=f"test-{who}", provider_id=provider, by=operator
            )
        session.commit()
    return Keys(**made)


def provider_body(provider_id: str = PROVIDER_A, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": provider_id,
        "name": f"Provider {provider_id}",
        "description": "Supports victims of crime.",
        "contact": {"phone": "01632 960000", "email": f"{provider_id}@example.org"},
    }
    body.update(overrides)
    return body


def service_body(
    service_id: str = "svc-a", provider_id: str = PROVIDER_A, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": service_id,
        "provider_id": provider_id,
        "name": f"Service {service_id}",
        "description": "Emotional and practical support.",
        "needs": ["emotional_support", "practical_support"],
        "specialisms": ["emotional_support"],
        "eligibility": {"min_age": 16, "areas": [CAMBRIDGE], "self_referral": True},
        "capacity": {"status": "green", "available": 5, "maximum": 10},
        "response_hours": 48,
        "contact": {"phone": "01632 960111", "url": "https://example.org/svc"},
    }
    body.update(overrides)
    return body


@dataclass
class Api:
    """The test client with a key per role, and shortcuts that assert success."""

    client: TestClient
    keys: Keys

    def as_(self, who: str) -> dict[str, str]:
        return self.keys.of(who)

    def create_provider(self, provider_id: str = PROVIDER_A, **overrides: Any) -> dict[str, Any]:
        r = self.client.post(
            "/providers", json=provider_body(provider_id, **overrides), headers=self.as_("admin")
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def create_service(
        self, service_id: str = "svc-a", provider_id: str = PROVIDER_A, **overrides: Any
    ) -> dict[str, Any]:
        r = self.client.post(
            "/services",
            json=service_body(service_id, provider_id, **overrides),
            headers=self.as_("admin"),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def create_pathway(self, source: str, target: str, days: float = 1.0) -> dict[str, Any]:
        r = self.client.post(
            "/pathways",
            json={"from_service": source, "to_service": target, "days": days},
            headers=self.as_("admin"),
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def get(self, path: str, who: str = "admin", **kwargs: Any) -> httpx2.Response:
        return self.client.get(
            path, headers={**self.as_(who), **kwargs.pop("headers", {})}, **kwargs
        )

    def snapshot_etag(self) -> str:
        r = self.get("/snapshot", "service")
        assert r.status_code == 200, r.text
        return str(r.headers["etag"])


def assert_problem(
    response: httpx2.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    doc = dict(response.json())
    assert doc["status"] == status
    assert doc["title"] and doc["detail"]
    if code is not None:
        assert doc.get("code") == code, doc
    return doc
