"""Who may record the victim's choices, and when: on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.db import writer
from services.router.referrals.models import Referral
from tests.router.api.helpers import PROBLEM_JSON, Api

from .helpers import webhooks

CHOICES: list[tuple[str, str, Any]] = [
    ("post", "refusals", {"service_id": "housing-cambridge"}),
    ("post", "pause", {"reason": "not now"}),
    ("post", "resume", None),
    ("put", "contact", {"channels": ["email"]}),
    ("post", "consent/withdraw", {"reason": "no"}),
]


def call(api: Api, method: str, path: str, who: str | None, body: Any) -> httpx2.Response:
    headers = api.keys.of(who) if who is not None else {}
    return api.client.request(method.upper(), path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "what", "body"), CHOICES)
def test_only_the_referrer_the_lead_provider_or_an_admin(
    api: Api, router_engine: Engine, method: str, what: str, body: Any
) -> None:
    r = api.refer()
    path = f"/referrals/{r['id']}/{what}"
    queued = webhooks(router_engine, r["id"])
    assert call(api, method, path, None, body).status_code == 401
    for who, status in (
        ("referrer_b", 404),  # another referrer's referral
        ("bobby", 404),  # a provider not on the case
        ("housing", 403),  # on the case, but not its lead
        ("service", 403),
    ):
        got = call(api, method, path, who, body)
        assert got.status_code == status, (who, got.text)
        assert got.headers["content-type"].startswith(PROBLEM_JSON)
    assert webhooks(router_engine, r["id"]) == queued
    unknown = "/referrals/00000000-0000-0000-0000-000000000000/" + what
    assert call(api, method, unknown, "admin", body).status_code == 404
    for who in ("idva", "referrer", "admin"):
        got = call(api, method, path, who, body)
        assert got.status_code in (200, 201), (who, got.text)


@pytest.mark.parametrize(("method", "what", "body"), CHOICES)
def test_a_closed_referral_is_409(
    api: Api, router_engine: Engine, method: str, what: str, body: Any
) -> None:
    r = api.refer()
    with Session(writer(router_engine)) as session:
        row = session.get(Referral, r["id"])
        assert row is not None
        row.status = "closed"
        session.add(row)
        session.commit()
    got = call(api, method, f"/referrals/{r['id']}/{what}", "referrer", body)
    assert got.status_code == 409, got.text
    assert got.json()["code"] == "referral_closed"


def test_a_bad_referral_id_is_422(api: Api) -> None:
    assert api.post("/referrals/not-an-id/pause", "admin", {"reason": "x"}).status_code == 422
