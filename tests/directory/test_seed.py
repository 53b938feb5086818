"""Seeding: the shipped directory goes in whole, and a second run changes nothing."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from graph.codec import directory_from_dict, load_directory, load_directory_document
from services.common.audit.models import AuditEvent
from services.common.db import writer
from services.directory.seed import SeedError, SeedReport, seed
from services.directory.snapshot import repository as state

from .helpers import Api


def _seed(engine: Engine, document: dict[str, Any] | None = None) -> SeedReport:
    with Session(writer(engine)) as session:
        report = seed(session=session, document=document)
        session.commit()
    return report


def _version_and_log(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        version = state.state(session=session).version
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    return version, int(events)


def test_the_shipped_directory_goes_in_whole(engine: Engine, api: Api) -> None:
    report = _seed(engine)
    document = load_directory_document()
    assert report.created["service"] == len(document["services"])
    assert report.created["pathway"] == len(document["pathways"])
    assert report.created["provider"] == len(document["providers"])
    snapshot = directory_from_dict(api.get("/snapshot", "service").json())
    shipped = load_directory()
    # The file gives no date for its capacity figures: seeding confirms them now.
    assert all(s.capacity.updated is not None for s in snapshot.services)
    assert sorted(
        (
            dataclasses.replace(s, capacity=dataclasses.replace(s.capacity, updated=None))
            for s in snapshot.services
        ),
        key=lambda s: s.id,
    ) == sorted(shipped.services, key=lambda s: s.id)
    assert {(p.from_node, p.to_service, p.days) for p in snapshot.pathways} == {
        (p.from_node, p.to_service, p.days) for p in shipped.pathways
    }


def test_seeding_twice_changes_nothing(engine: Engine, api: Api) -> None:
    _seed(engine)
    version, events = _version_and_log(engine)
    etag = api.snapshot_etag()
    services = api.get("/services", params={"limit": 200}).json()
    report = _seed(engine)
    assert not report.changed
    assert sum(report.unchanged.values()) == sum(
        len(load_directory_document().get(k) or []) for k in ("providers", "services", "pathways")
    )
    assert _version_and_log(engine) == (version, events)
    assert api.snapshot_etag() == etag
    assert api.get("/services", params={"limit": 200}).json() == services


def _small() -> dict[str, Any]:
    return {
        "version": "test-1",
        "providers": [{"id": "p", "name": "P", "description": "", "contact": {}}],
        "services": [
            {
                "id": "s1",
                "provider_id": "p",
                "name": "One",
                "needs": ["finance"],
                "specialisms": ["finance"],
                "eligibility": {"areas": ["E06000031"]},
                "capacity": {
                    "status": "amber",
                    "available": 2,
                    "maximum": 4,
                    "updated": "2026-11-01T09:00:00+00:00",
                },
            },
            {"id": "s2", "provider_id": "p", "name": "Two", "needs": ["health"]},
        ],
        "pathways": [
            {"from_service": "entry:police", "to_service": "s1", "days": 1},
            {"from_service": "s1", "to_service": "s2", "days": 2},
        ],
    }


def test_a_changed_document_updates_what_it_names_and_keeps_live_capacity(
    engine: Engine, api: Api
) -> None:
    _seed(engine, _small())
    assert api.get("/services/s1").json()["capacity"]["updated"] == "2026-11-01T09:00:00Z"
    api.client.put("/services/s1/capacity", json={"status": "red"}, headers=api.as_("admin"))
    api.create_provider("other")  # not in the document: left alone
    changed = _small()
    changed["services"][0]["name"] = "One, renamed"
    changed["services"][0]["capacity"]["status"] = "green"
    changed["pathways"][1]["days"] = 5
    report = _seed(engine, changed)
    assert (report.updated["service"], report.updated["pathway"], report.updated["provider"]) == (
        1,
        1,
        0,
    )
    s1 = api.get("/services/s1").json()
    assert s1["name"] == "One, renamed"
    assert s1["capacity"]["status"] == "red"  # live figures are the provider's
    assert [
        p["days"] for p in api.get("/pathways", params={"from_service": "s1"}).json()["items"]
    ] == [5]
    assert api.get("/providers/other").status_code == 200
    assert not _seed(engine, changed).changed


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["services"][0].update(needs=["cake"]), "services[0].needs"),
        (lambda d: d["services"].append({**d["services"][1], "id": "Bad Id"}), "services[2].id"),
        (
            lambda d: d["pathways"].append({"from_service": "s2", "to_service": "nowhere"}),
            "pathways[2]",
        ),
        (lambda d: d["providers"][0].update(name=""), "providers[0].name"),
        (lambda d: d["services"][1].update(provider_id="nobody"), "services[1]: body.provider_id"),
        (
            lambda d: d["pathways"].append(
                {"from_service": "entry:self", "to_service": "s2", "days": 400}
            ),
            "pathways[2].days",
        ),
    ],
)
def test_a_bad_document_is_refused_whole(engine: Engine, mutate: Any, message: str) -> None:
    document = copy.deepcopy(_small())
    mutate(document)
    before = _version_and_log(engine)
    with pytest.raises(SeedError) as raised:
        _seed(engine, document)
    assert message in str(raised.value)
    assert _version_and_log(engine) == before
