"""The Open Referral (HSDS 3.1) export validates against the standard's own JSON schemas.

The schemas are read from ``../shared/openreferral-hsds-3.1/`` beside the repository (CI has it
there, read-only); ``PATHWAYS_HSDS_SCHEMAS`` may point elsewhere. Without them these tests fail:
an export nobody validated is not one to ship.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from jsonschema import FormatChecker
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from sqlalchemy import Engine
from sqlmodel import Session

from services.common.db import writer
from services.directory.ids import derived_uuid
from services.directory.seed import seed

from ..helpers import CAMBRIDGE, PETERBOROUGH, Api, assert_problem

REPO = Path(__file__).resolve().parents[3]
SCHEMAS = Path(
    os.environ.get("PATHWAYS_HSDS_SCHEMAS", REPO.parent / "shared" / "openreferral-hsds-3.1")
)


def _validator(name: str, pick: str | None = None) -> Validator:
    path = SCHEMAS / name
    if not path.is_file():
        pytest.fail(f"the HSDS 3.1 schema {path} is missing (set PATHWAYS_HSDS_SCHEMAS)")
    schema: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if pick is not None:
        schema = schema["components"]["schemas"][pick]
    cls = validator_for(schema)
    cls.check_schema(schema)
    validator: Validator = cls(schema, format_checker=FormatChecker())
    return validator


@pytest.fixture(scope="module")
def service_schema() -> Validator:
    return _validator("service.json")


@pytest.fixture(scope="module")
def list_item_schema() -> Validator:
    return _validator("service_list.json")


@pytest.fixture(scope="module")
def page_schema() -> Validator:
    return _validator("openapi.json", pick="Page")


def _errors(validator: Validator, instance: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


@pytest.fixture
def shipped(engine: Engine) -> None:
    with Session(writer(engine)) as session:
        seed(session=session)
        session.commit()


def test_every_shipped_service_validates_as_hsds(
    api: Api,
    shipped: None,
    service_schema: Validator,
    list_item_schema: Validator,
    page_schema: Validator,
) -> None:
    r = api.client.get("/openreferral/services", params={"per_page": 200})  # no key
    assert r.status_code == 200, r.text
    page = r.json()
    assert _errors(page_schema, page) == []
    assert page["total_items"] == len(page["contents"]) == 28
    assert (page["first_page"], page["last_page"], page["empty"]) == (True, True, False)
    for item in page["contents"]:
        assert _errors(service_schema, item) == [], item["alternate_name"]
        assert _errors(list_item_schema, item) == [], item["alternate_name"]
        one = api.client.get(f"/openreferral/services/{item['id']}")
        assert one.status_code == 200
        assert one.json() == item


def test_the_mapping(api: Api, service_schema: Validator) -> None:
    api.create_provider()
    api.create_service(
        "idva",
        name="IDVA",
        eligibility={
            "min_age": 16,
            "areas": [PETERBOROUGH, CAMBRIDGE],
            "incident_kinds": ["domestic_abuse"],
            "risk_levels": ["high"],
            "self_referral": True,
        },
        capacity={"status": "amber", "available": 3, "maximum": 20},
        contact={
            "phone": "01632 960123",
            "email": "idva@example.org",
            "url": "https://example.org/idva",
        },
        webhook={"url": "https://hooks.example.org/idva"},
    )
    r = api.client.get("/openreferral/services/idva")
    assert r.status_code == 200
    hsds = r.json()
    assert _errors(service_schema, hsds) == []
    assert hsds["id"] == str(
        uuid.uuid5(uuid.UUID("6f1d0c3a-9b4e-5c27-8a61-3e2f4d5b7a90"), "service\nidva")
    )
    assert hsds["id"] == derived_uuid("service", "idva")
    assert hsds["alternate_name"] == "idva"
    assert (
        hsds["organization_id"]
        == hsds["organization"]["id"]
        == derived_uuid("organization", "prov-a")
    )
    assert (hsds["minimum_age"], hsds.get("maximum_age")) == (16, None)
    assert "Aged 16 or over." in hsds["eligibility_description"]
    assert "domestic abuse" in hsds["eligibility_description"]
    assert "high risk" in hsds["eligibility_description"]
    assert [(a["extent"], a["name"]) for a in hsds["service_areas"]] == [
        (PETERBOROUGH, "Peterborough"),
        (CAMBRIDGE, "Cambridge"),
    ]
    (capacity,) = hsds["capacities"]
    assert (capacity["available"], capacity["maximum"]) == (3, 20)
    assert capacity["unit"]["name"]
    dt.datetime.fromisoformat(capacity["updated"])
    dt.datetime.fromisoformat(hsds["last_modified"])
    assert hsds["phones"][0]["number"] == "01632 960123"
    assert (hsds["email"], hsds["url"]) == ("idva@example.org", "https://example.org/idva")
    assert "refer yourself" in hsds["application_process"]
    assert "hooks.example.org" not in r.text and "whsec_" not in r.text and "webhook" not in r.text
    listed = api.client.get("/openreferral/services").text
    assert "hooks.example.org" not in listed and "whsec_" not in listed


def test_services_without_confirmed_capacity_export_none(
    api: Api, service_schema: Validator
) -> None:
    api.create_provider()
    api.create_service("svc-a", capacity=None, eligibility={})
    hsds = api.client.get("/openreferral/services/svc-a").json()
    assert hsds["capacities"] == [] and hsds["service_areas"] == []
    assert hsds["eligibility_description"] == "Anyone affected by crime."
    assert _errors(service_schema, hsds) == []


def test_paging(api: Api, page_schema: Validator) -> None:
    api.create_provider()
    for i in range(5):
        api.create_service(f"svc-{i}")
    pages = [
        api.client.get("/openreferral/services", params={"per_page": 2, "page": n}).json()
        for n in (1, 2, 3, 4)
    ]
    assert [[s["alternate_name"] for s in p["contents"]] for p in pages] == [
        ["svc-0", "svc-1"],
        ["svc-2", "svc-3"],
        ["svc-4"],
        [],
    ]
    assert [(p["first_page"], p["last_page"], p["empty"], p["size"]) for p in pages] == [
        (True, False, False, 2),
        (False, False, False, 2),
        (False, True, False, 1),
        (False, True, True, 0),
    ]
    assert all(p["total_items"] == 5 and p["total_pages"] == 3 for p in pages)
    for p in pages:
        assert _errors(page_schema, p) == []


@pytest.mark.parametrize("params", [{"page": 0}, {"per_page": 0}, {"per_page": 201}, {"page": "x"}])
def test_bad_paging_is_422(api: Api, params: dict[str, Any]) -> None:
    assert_problem(api.client.get("/openreferral/services", params=params), 422)


def test_an_unknown_service_is_404(api: Api) -> None:
    assert_problem(api.client.get("/openreferral/services/nothing"), 404)
    assert_problem(api.client.get(f"/openreferral/services/{uuid.uuid4()}"), 404)


def test_languages_and_access_are_exported_as_hsds(api: Api, service_schema: Validator) -> None:
    api.create_provider()
    api.create_service(
        "idva",
        languages=["en", "PL", "pt-br", "xyz"],
        interpreters=True,
        access=["step_free_access", "hearing_loop"],
    )
    hsds = api.client.get("/openreferral/services/idva").json()
    assert _errors(service_schema, hsds) == []
    sid = hsds["id"]
    languages = {lang["code"]: lang for lang in hsds["languages"]}
    assert sorted(languages) == ["en", "pl", "pt", "xyz"]
    assert all(lang["service_id"] == sid for lang in hsds["languages"])
    assert languages["pl"]["name"] == "Polish"
    assert languages["pl"]["id"] == derived_uuid("language", "idva", "pl")
    assert languages["pt"]["note"] == "Language tag (BCP 47): pt-BR"
    assert "name" not in languages["xyz"]  # not in the small table: no name is invented
    assert "Interpreters can be arranged" in hsds["interpretation_services"]
    access = {a["taxonomy_term"]["code"]: a for a in hsds["attributes"]}
    assert sorted(access) == ["hearing_loop", "step_free_access"]
    for code, attribute in access.items():
        assert attribute["link_id"] == sid
        assert attribute["link_entity"] == "service"
        assert attribute["value"] == code
        assert attribute["taxonomy_term_id"] == attribute["taxonomy_term"]["id"]
        assert attribute["taxonomy_term"]["description"]
    # Stable: the same ids on every read.
    assert api.client.get("/openreferral/services/idva").json() == hsds


def test_undeclared_languages_and_access_export_nothing(
    api: Api, service_schema: Validator
) -> None:
    api.create_provider()
    api.create_service("plain")
    hsds = api.client.get("/openreferral/services/plain").json()
    assert _errors(service_schema, hsds) == []
    assert hsds["languages"] == [] and hsds["attributes"] == []
    assert "interpretation_services" not in hsds


def test_the_shipped_directory_exports_its_languages(api: Api, shipped: None) -> None:
    page = api.client.get("/openreferral/services", params={"per_page": 200}).json()
    by_id = {s["alternate_name"]: s for s in page["contents"]}
    assert all("en" in {lang["code"] for lang in s["languages"]} for s in page["contents"])
    assert {lang["code"] for lang in by_id["idva-peterborough"]["languages"]} == {"en", "lt", "pl"}
    assert "interpretation_services" in by_id["sarc-peterborough"]
    assert "interpretation_services" not in by_id["neighbourhood-watch"]
