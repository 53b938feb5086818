"""Keys, bodies and a small API helper for the router's tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from services.common.audit.models import AuditEvent
from services.common.auth.schemas import Principal, Role
from services.common.auth.service import create_key
from services.common.db import writer

PROBLEM_JSON = "application/problem+json"
WHO = {
    "admin": (Role.ADMIN, None),
    "referrer": (Role.REFERRER, None),
    "referrer_b": (Role.REFERRER, None),
    "victim_support": (Role.PROVIDER, "victim-support"),
    "idva": (Role.PROVIDER, "idva-service"),
    "housing": (Role.PROVIDER, "cambridge-city-council"),
    "bobby": (Role.PROVIDER, "bobby-scheme"),
    "refuge": (Role.PROVIDER, "cambridgeshire-womens-aid"),
    "cpft": (Role.PROVIDER, "cpft"),
    "service": (Role.SERVICE, None),
}


@dataclass(frozen=True)
class Keys:
    keys: dict[str, str]

    def of(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


def make_keys(engine: Engine, who: Mapping[str, tuple[Role, str | None]] | None = None) -> Keys:
    """A key for each name of ``who`` (``WHO`` by default), named ``test-<name>``."""
    made: dict[str, str] = {}
    with Session(writer(engine)) as session:
        for name, (role, provider) in (WHO if who is None else who).items():
            _row, made[name] = create_key(
                session=session,
                role=role,
                name=f"test-{name}",
                provider_id=provider,
                by=Principal.operator("tests"),
            )
        session.commit()
    return Keys(made)


def referral_body(**parts: Any) -> dict[str, Any]:
    """A referral (API.md's example by default); ``victim=``/``incident=``/``assessment=``
    update those parts."""
    body: dict[str, Any] = {
        "source": {"kind": "police", "reference": "CC/2026/004211"},
        "victim": {
            "age": 34,
            "area": "E07000008",
            "role": "direct",
            "sex": "female",
            "consent_to_share": True,
            "refused_services": [],
            "contact": {
                "channels": ["phone"],
                "safe_times": "weekdays 9-12",
                "do_not_contact": False,
            },
        },
        "incident": {
            "kind": "domestic_abuse",
            "reported_to_police": True,
            "occurred_on": "2026-11-20",
            "reported_on": "2026-11-21",
        },
        "assessment": {
            "risk_level": None,
            "dash_score": 16,
            "flags": ["risk_from_offender"],
            "incidents_last_12_months": 2,
            "last_marac_referral_on": None,
            "needs": {"domestic_abuse_advocacy": 3, "accommodation": 2},
        },
    }
    for key in ("source", "victim", "incident", "assessment"):
        if key in parts:
            body[key] = {**body[key], **parts[key]}
    return body


@dataclass
class Api:
    client: TestClient
    keys: Keys

    def post(self, path: str, who: str, json: Any = None, **kw: Any) -> httpx2.Response:
        headers = {**self.keys.of(who), **kw.pop("headers", {})}
        return self.client.post(path, json=json, headers=headers, **kw)

    def get(self, path: str, who: str, **kw: Any) -> httpx2.Response:
        return self.client.get(path, headers=self.keys.of(who), **kw)

    def refer(self, who: str = "referrer", **parts: Any) -> dict[str, Any]:
        response = self.post("/referrals", who, referral_body(**parts))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def handover(self, referral: dict[str, Any], service_id: str) -> dict[str, Any]:
        for h in referral["plan"]["handovers"]:
            if h["service_id"] == service_id:
                return dict(h)
        raise AssertionError(
            f"{service_id} not in the plan: "
            f"{[h['service_id'] for h in referral['plan']['handovers']]}"
        )

    def act(self, handover_id: str, action: str, who: str, json: Any = None) -> httpx2.Response:
        return self.post(f"/handovers/{handover_id}/{action}", who, json)


def audited(engine: Engine, action: str) -> list[AuditEvent]:
    """The audit events of ``action``, oldest first."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
            ).all()
        )
