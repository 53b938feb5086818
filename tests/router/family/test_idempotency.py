"""``Idempotency-Key`` on POST /referrals/{id}/family: a retried link refers nobody twice."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from services.router.family.models import FamilyMember
from services.router.referrals.models import Referral
from tests.router.api.helpers import Api, audited, referral_body

from .helpers import child


def _body(*members: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "household", "members": list(members)}


def _count(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _link(api: Api, referral_id: str, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post(f"/referrals/{referral_id}/family", "referrer", body, headers=headers)


def test_a_retry_with_the_same_key_gets_the_first_answer_and_refers_nobody_again(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    body = _body(child(7), child(12))

    first = _link(api, mother["id"], body, "family-1")
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    referrals, members = _count(router_engine, Referral), _count(router_engine, FamilyMember)
    assert (referrals, members) == (3, 3)  # the mother and two children, all in the case

    again = _link(api, mother["id"], body, "family-1")
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (_count(router_engine, Referral), _count(router_engine, FamilyMember)) == (3, 3)
    # Handing the answer back again is a read of the referral, and audited as one.
    replays = [e for e in audited(router_engine, "read") if e.after == {"via": "idempotent_replay"}]
    assert [e.entity_id for e in replays] == [mother["id"]]


def test_without_a_key_a_second_request_refers_the_members_again(
    api: Api, router_engine: Engine
) -> None:
    mother = api.refer()
    for _ in range(2):
        got = _link(api, mother["id"], _body(child(7)), None)
        assert got.status_code == 201, got.text
    assert _count(router_engine, Referral) == 3


def test_the_same_key_with_another_body_or_on_another_referral_is_a_422(
    api: Api, router_engine: Engine
) -> None:
    mother, other = api.refer(), api.refer()
    assert _link(api, mother["id"], _body(child(7)), "family-2").status_code == 201
    made = _count(router_engine, Referral)

    other_body = _link(api, mother["id"], _body(child(8)), "family-2")
    other_referral = _link(api, other["id"], _body(child(7)), "family-2")
    for got in (other_body, other_referral):
        assert got.status_code == 422, got.text
        assert got.headers["content-type"].startswith("application/problem+json")
        assert "Idempotency-Key" in got.json()["detail"]
    assert _count(router_engine, Referral) == made


def test_a_key_used_for_a_new_referral_cannot_be_replayed_as_a_family_link(
    api: Api, router_engine: Engine
) -> None:
    made = api.post("/referrals", "referrer", referral_body(), headers={"Idempotency-Key": "k-3"})
    assert made.status_code == 201, made.text
    got = _link(api, made.json()["id"], _body(child(7)), "k-3")
    assert got.status_code == 422, got.text
    assert _count(router_engine, Referral) == 1


def test_a_request_that_fails_gives_its_key_back(api: Api, router_engine: Engine) -> None:
    """A 4xx after the claim (here a 404: no such referral) leaves the key free for the
    request the caller meant."""
    missing = "00000000-0000-4000-8000-000000000000"
    assert _link(api, missing, _body(child(7)), "family-4").status_code == 404
    mother = api.refer()
    got = _link(api, mother["id"], _body(child(7)), "family-4")
    assert got.status_code == 201, got.text
    assert "Idempotent-Replayed" not in got.headers
