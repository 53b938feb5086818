"""Many concurrent ``POST /referrals`` with one ``Idempotency-Key``, through two router
instances: exactly one referral; every answer is 201 with its id, or 409 ``idempotency_in_flight``
while the first is still being processed; a retry afterwards replays the 201."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from services.common.db import utcnow, writer
from services.router.referrals.models import IdempotencyKey
from services.router.referrals.schemas import ReferralCreate
from services.router.referrals.service import IDEMPOTENCY_LEASE, request_hash
from tests.faults import figures
from tests.faults.soak import long_variant
from tests.router.api.helpers import referral_body

from .conftest import Crowd, InstancesFactory

pytestmark = pytest.mark.postgres


def run(make_instances: InstancesFactory, engine: Engine, *, requests: int, rounds: int) -> None:
    instances = make_instances(2)
    answers: Counter[str] = Counter()
    for round_ in range(rounds):
        key = f"same-key-{round_}"
        body = referral_body(source={"reference": f"IDEM/{round_}"})

        def post(n: int, key: str = key, body: Any = body) -> tuple[int, dict[str, Any]]:
            response = instances.post(
                n, "/referrals", "referrer", body, headers={"Idempotency-Key": key}
            )
            return response.status_code, response.json()

        results = Crowd().run(requests, post)
        created = {doc["id"] for status, doc in results.values() if status == 201}
        assert len(created) == 1, f"{len(created)} different referrals for one key"
        for status, doc in results.values():
            if status == 201:
                answers["201"] += 1
            else:
                assert (status, doc.get("code")) == (409, "idempotency_in_flight"), doc
                answers["409 in flight"] += 1
        [referral_id] = created
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT id FROM referrals WHERE source_reference = :r"),
                {"r": f"IDEM/{round_}"},
            ).all()
        assert [r.id for r in stored] == [referral_id]
        replay = instances.post(0, "/referrals", "referrer", body, headers={"Idempotency-Key": key})
        assert replay.status_code == 201 and replay.json()["id"] == referral_id
        assert replay.headers["Idempotent-Replayed"] == "true"
    figures.record(
        "concurrency",
        f"{requests} concurrent POST /referrals, one Idempotency-Key, 2 instances x{rounds}",
        requests=requests * rounds,
        referrals_made=rounds,
        answers=dict(answers),
    )


def test_a_claim_left_by_a_crash_is_taken_over_by_one_request_only(
    make_instances: InstancesFactory, engine: Engine
) -> None:
    instances = make_instances(2)
    body = referral_body(source={"reference": "IDEM/CRASHED"})
    with Session(writer(engine)) as session:  # the first request died an hour ago
        session.add(
            IdempotencyKey(
                principal="test-referrer",
                key="crashed",
                request_hash=request_hash(ReferralCreate.model_validate(body)),
                status="in_progress",
                claimed_at=utcnow() - IDEMPOTENCY_LEASE * 60,
            )
        )
        session.commit()

    def post(n: int) -> tuple[int, dict[str, Any]]:
        response = instances.post(
            n, "/referrals", "referrer", body, headers={"Idempotency-Key": "crashed"}
        )
        return response.status_code, response.json()

    results = Crowd().run(50, post)
    statuses = Counter(
        status if status == 201 else f"{status} {doc.get('code')}"
        for status, doc in results.values()
    )
    assert set(statuses) <= {201, "409 idempotency_in_flight"}, statuses
    with engine.connect() as connection:
        made = connection.execute(
            text("SELECT count(*) FROM referrals WHERE source_reference = 'IDEM/CRASHED'")
        ).scalar_one()
    assert made == 1, f"{made} referrals from one key"
    figures.record(
        "concurrency",
        "50 concurrent retries of a request that crashed holding its Idempotency-Key",
        requests=50,
        referrals_made=made,
        answers={str(k): v for k, v in statuses.items()},
    )


def test_one_key_many_concurrent_posts_make_one_referral(
    make_instances: InstancesFactory, engine: Engine
) -> None:
    run(make_instances, engine, requests=50, rounds=1)


@long_variant
def test_one_key_many_concurrent_posts_again_and_again(
    make_instances: InstancesFactory, engine: Engine
) -> None:
    run(make_instances, engine, requests=100, rounds=5)
