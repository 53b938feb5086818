"""On PostgreSQL an ``Idempotency-Key`` claim is committed with the request's work, in one
transaction: a duplicate of a request still running is answered 409 at once (it does not wait on
the first's uncommitted claim), a claim rolled back frees its key, and a first request commits
once. (A request that fails after its claim leaves the key free: see
tests/router/family/test_idempotency.py.)"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from services.common.db import utcnow, writer
from services.router.referrals import repository
from services.router.referrals.schemas import ReferralCreate
from services.router.referrals.service import request_hash

from .helpers import Api, referral_body

POSTGRES_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)]
)


def _post_in_a_thread(api: Api, body: dict[str, Any], key: str) -> httpx.Response:
    """POST in a thread of its own: a request that waits on a lock fails the test, not hangs it."""
    answers: list[httpx.Response] = []
    thread = threading.Thread(
        target=lambda: answers.append(
            api.post("/referrals", "referrer", body, headers={"Idempotency-Key": key})
        ),
        daemon=True,
    )
    thread.start()
    thread.join(timeout=20)
    assert answers, "the duplicate waited on the first request's uncommitted claim"
    return answers[0]


@POSTGRES_ONLY
def test_a_duplicate_of_an_uncommitted_claim_is_409_at_once_and_a_rollback_frees_the_key(
    api: Api, router_engine: Engine
) -> None:
    body = referral_body(source={"reference": "CLAIM/1"})
    with Session(writer(router_engine)) as first:  # the first request, still running
        claimed = repository.insert_claim(
            session=first,
            principal="test-referrer",
            key="running",
            request_hash=request_hash(ReferralCreate.model_validate(body)),
            now=utcnow(),
        )
        assert claimed == "claimed"
        response = _post_in_a_thread(api, body, "running")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "idempotency_in_flight"
        first.rollback()  # it failed: its claim goes with it
    response = _post_in_a_thread(api, body, "running")
    assert response.status_code == 201, response.text
    replay = api.post("/referrals", "referrer", body, headers={"Idempotency-Key": "running"})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == response.json()["id"]


@pytest.fixture
def database_calls() -> Iterator[Counter[str]]:
    """Statements and commits on every engine while the test runs."""
    calls: Counter[str] = Counter()

    def statement(*_: Any) -> None:
        calls["statements"] += 1

    def commit(*_: Any) -> None:
        calls["commits"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    event.listen(Engine, "commit", commit)
    yield calls
    event.remove(Engine, "before_cursor_execute", statement)
    event.remove(Engine, "commit", commit)


@POSTGRES_ONLY
def test_a_first_request_under_a_key_is_one_transaction_of_three_statements(
    api: Api, database_calls: Counter[str]
) -> None:
    api.refer()  # warm: the directory snapshot is read and stored
    database_calls.clear()
    response = api.post(
        "/referrals", "referrer", referral_body(), headers={"Idempotency-Key": "one-commit"}
    )
    assert response.status_code == 201, response.text
    # The API key's lookup (authentication), the claim, then every row with the stored answer;
    # and one commit.
    assert database_calls == {"statements": 3, "commits": 1}
