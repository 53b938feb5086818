"""Idempotency in flight, the expiry sweep, and a restart with the directory down."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.common.db import utcnow, writer
from services.router.app import create_app
from services.router.clients.directory import DirectoryClient
from services.router.handovers.models import Handover
from services.router.handovers.service import expire_overdue
from services.router.referrals.models import IdempotencyKey
from services.router.referrals.schemas import ReferralCreate
from services.router.referrals.service import IDEMPOTENCY_LEASE, request_hash
from services.router.settings import RouterSettings
from services.router.snapshot.service import DirectoryView

from .fakes import FakeDirectory
from .helpers import Api, Keys, referral_body


def test_a_duplicate_while_the_first_is_in_flight_is_409(api: Api, router_engine: Engine) -> None:
    body = referral_body()
    with Session(writer(router_engine)) as session:
        session.add(
            IdempotencyKey(
                principal="test-referrer",
                key="in-flight",
                request_hash=request_hash(ReferralCreate.model_validate(body)),
                status="in_progress",
                claimed_at=utcnow(),
            )
        )
        session.commit()
    response = api.post("/referrals", "referrer", body, headers={"Idempotency-Key": "in-flight"})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_in_flight"


def test_a_claim_left_by_a_crash_is_taken_over(api: Api, router_engine: Engine) -> None:
    body = referral_body()
    with Session(writer(router_engine)) as session:
        session.add(
            IdempotencyKey(
                principal="test-referrer",
                key="crashed",
                request_hash=request_hash(ReferralCreate.model_validate(body)),
                status="in_progress",
                claimed_at=utcnow() - IDEMPOTENCY_LEASE * 2,
            )
        )
        session.commit()
    response = api.post("/referrals", "referrer", body, headers={"Idempotency-Key": "crashed"})
    assert response.status_code == 201


def test_the_sweep_expires_unanswered_handovers_and_reroutes(
    api: Api, router_engine: Engine, fake_directory: FakeDirectory
) -> None:
    r = api.refer()  # female, high risk: IDVA; the refuge is the next best advocate
    idva = api.handover(r, "idva-cambridgeshire")
    later = utcnow() + dt.timedelta(hours=25)  # the IDVA answers within 24 hours
    client = DirectoryClient(
        base_url="http://directory.test",
        api_key="directory-service-key",
        retries=0,
        transport=fake_directory.transport(),
    )
    view = DirectoryView(client=client, engine=router_engine, max_age_seconds=0)
    try:
        assert expire_overdue(engine=router_engine, view=view, now=later) >= 1
        assert expire_overdue(engine=router_engine, view=view, now=later) == 0  # idempotent
    finally:
        view.close()
        client.close()
    with Session(router_engine) as session:
        expired = session.get(Handover, idva["id"])
        assert expired is not None and expired.status == "expired"
        assert expired.reason == "no answer within 24 hours"
        refuge = session.exec(
            select(Handover).where(
                Handover.referral_id == r["id"], Handover.service_id == "womens-aid-refuge"
            )
        ).first()
        assert refuge is not None and refuge.status == "requested"
    timeline = api.get(f"/referrals/{r['id']}/timeline", "referrer").json()["events"]
    assert any("did not answer within 24 hours" in e["text"] for e in timeline)


def test_a_restart_with_the_directory_down_plans_from_the_stored_snapshot(
    router_settings: RouterSettings, router_keys: Keys, fake_directory: FakeDirectory
) -> None:
    with TestClient(
        create_app(router_settings, directory_transport=fake_directory.transport())
    ) as client:
        first = Api(client=client, keys=router_keys).refer()
        assert first["directory"]["stale"] is False
    fake_directory.down = True
    with TestClient(
        create_app(router_settings, directory_transport=fake_directory.transport())
    ) as client:
        again = Api(client=client, keys=router_keys).refer()
    assert again["directory"]["stale"] is True
    assert again["directory_version"] == "v1"
    assert again["plan"]["lead"] == "idva-cambridgeshire"


def test_no_snapshot_and_no_directory_is_a_503(
    router_settings: RouterSettings, router_keys: Keys, fake_directory: FakeDirectory
) -> None:
    fake_directory.down = True
    with TestClient(
        create_app(router_settings, directory_transport=fake_directory.transport())
    ) as client:
        response = Api(client=client, keys=router_keys).post(
            "/referrals", "referrer", referral_body()
        )
    assert response.status_code == 503
    assert response.json()["code"] == "directory_unavailable"
