"""A service with 3 places gets 20 handovers accepted at once, through two router instances:
exactly 3 are accepted, the other 17 are 409 ``over_capacity`` and stay requested; an accept
above capacity goes through only with a reason, recorded in the timeline and the audit log.
PostgreSQL serialises the decisions per service with an advisory lock (each accept locks a
different referral, so nothing else would)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, text

from graph import directory_from_dict
from services.common.db import utcnow
from tests.faults import figures
from tests.faults.soak import long_variant
from tests.router.api.fakes import FakeDirectory
from tests.router.api.test_capacity import SERVICE, low_risk_body, with_capacity

from .conftest import Crowd, Instances, InstancesFactory

pytestmark = pytest.mark.postgres

PROVIDER_KEY = "victim_support"


def set_places(directory: FakeDirectory, places: int) -> None:
    current = directory_from_dict(directory.document, strict=False)
    directory.replace(with_capacity(current, SERVICE, available=places, updated=utcnow()))


def requested(instances: Instances, count: int, label: str) -> list[str]:
    ids = []
    for n in range(count):
        response = instances.post(n, "/referrals", "referrer", low_risk_body(f"{label}/{n}"))
        assert response.status_code == 201, response.text
        [h] = response.json()["plan"]["handovers"]
        ids.append(h["id"])
    return ids


def accepted_in_db(engine: Engine, ids: list[str]) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM handovers WHERE status = 'accepted' AND id = ANY(:ids)"),
                {"ids": ids},
            ).scalar_one()
        )


def run(
    make_instances: InstancesFactory,
    engine: Engine,
    directory: FakeDirectory,
    *,
    places: int,
    handovers: int,
    rounds: int,
) -> None:
    instances = make_instances(2)
    answers: Counter[str] = Counter()
    for round_ in range(rounds):
        set_places(directory, places)  # the provider confirms its figures afresh
        ids = requested(instances, handovers, f"CAP-{round_}")

        def accept(n: int, ids: list[str] = ids) -> tuple[int, dict[str, Any]]:
            response = instances.post(n, f"/handovers/{ids[n]}/accept", PROVIDER_KEY)
            return response.status_code, response.json()

        results = Crowd().run(handovers, accept)
        outcome = Counter(
            "accepted" if status == 200 else f"{status} {doc.get('code')}"
            for status, doc in results.values()
        )
        answers.update(outcome)
        assert outcome == Counter({"accepted": places, "409 over_capacity": handovers - places}), (
            outcome
        )
        assert accepted_in_db(engine, ids) == places

        # Above capacity only with a reason, and then on the record.
        over = next(ids[n] for n, (status, _doc) in results.items() if status == 409)
        reason = f"round {round_}: a high-risk victim the team already knows"
        response = instances.post(
            round_, f"/handovers/{over}/accept", PROVIDER_KEY, {"over_capacity_reason": reason}
        )
        assert response.status_code == 200, response.text
        assert accepted_in_db(engine, ids) == places + 1
        with engine.connect() as connection:
            audited = connection.execute(
                text(
                    "SELECT after FROM audit_log WHERE entity_type = 'handover' "
                    "AND entity_id = :id AND action = 'accepted'"
                ),
                {"id": over},
            ).scalar_one()
            noted = connection.execute(
                text(
                    "SELECT text FROM timeline_events WHERE handover_id = :id "
                    "AND kind = 'handover.over_capacity'"
                ),
                {"id": over},
            ).scalar_one()
        assert audited["over_capacity"]["reason"] == reason
        assert audited["over_capacity"]["taken"] == places
        assert reason in noted
    figures.record(
        "concurrency",
        f"{handovers} concurrent accepts for {places} places, 2 instances x{rounds}",
        accepts=handovers * rounds,
        accepted=places * rounds,
        refused_over_capacity=(handovers - places) * rounds,
        over_capacity_without_a_reason=0,
        explicit_over_capacity_decisions_recorded=rounds,
    )


def test_three_places_twenty_concurrent_accepts(
    make_instances: InstancesFactory, engine: Engine, directory: FakeDirectory
) -> None:
    run(make_instances, engine, directory, places=3, handovers=20, rounds=1)


@long_variant
def test_places_under_a_crowd_again_and_again(
    make_instances: InstancesFactory, engine: Engine, directory: FakeDirectory
) -> None:
    run(make_instances, engine, directory, places=10, handovers=80, rounds=5)
