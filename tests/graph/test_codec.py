"""Strict reading of referrals and directories: every bad input names its field."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from graph import (
    DirectoryError,
    InputError,
    directory_from_dict,
    directory_to_dict,
    load_directory,
    load_directory_document,
    referral_from_dict,
)

from .helpers import TODAY, body


def good() -> dict[str, Any]:
    return body(
        victim={
            "sex": "female",
            "refused_services": [],
            "contact": {"channels": ["phone"], "safe_times": "after 6pm", "do_not_contact": False},
        },
        incident={
            "kind": "domestic_abuse",
            "occurred_on": "2026-11-20",
            "reported_on": "2026-11-21",
        },
        assessment={
            "dash_score": 12,
            "flags": ["risk_from_offender"],
            "incidents_last_12_months": 1,
            "needs": {"refuge": 2},
        },
    )


def with_(path: str, value: object) -> dict[str, Any]:
    doc = good()
    node: Any = doc
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    return doc


def test_a_good_referral_reads() -> None:
    r = referral_from_dict(good(), today=TODAY)
    assert r.assessment.dash_score == 12


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("victim.age", 121, "victim.age"),
        ("victim.age", -1, "victim.age"),
        ("victim.age", 34.0, "victim.age"),
        ("victim.age", True, "victim.age"),
        ("victim.age", "34", "victim.age"),
        ("victim.area", "Cambridge", "victim.area"),
        ("victim.sex", "f", "victim.sex"),
        ("victim.role", "bystander", "victim.role"),
        ("victim.consent_to_share", "yes", "victim.consent_to_share"),
        ("victim.contact.channels", ["pigeon"], "victim.contact.channels[0]"),
        ("victim.nickname", "x", "victim.nickname"),
        ("incident.kind", "arson", "incident.kind"),
        ("incident.occurred_on", "2099-01-01", "incident.occurred_on"),
        ("incident.occurred_on", "20/11/2026", "incident.occurred_on"),
        ("incident.reported_on", "2026-11-19", "incident.reported_on"),
        ("assessment.dash_score", 25, "assessment.dash_score"),
        ("assessment.dash_score", 12.5, "assessment.dash_score"),
        ("assessment.needs", {"refuge": 4}, "assessment.needs.refuge"),
        ("assessment.needs", {"refuge": -1}, "assessment.needs.refuge"),
        ("assessment.needs", {"refuge": True}, "assessment.needs.refuge"),
        ("assessment.needs", {"hugs": 1}, "assessment.needs.hugs"),
        ("assessment.needs", [], "assessment.needs"),
        ("assessment.flags", ["grumpy"], "assessment.flags[0]"),
        ("assessment.risk_level", "severe", "assessment.risk_level"),
        ("assessment.last_marac_referral_on", "2030-01-01", "assessment.last_marac_referral_on"),
        ("source.kind", "neighbour", "source.kind"),
        ("source.reference", "x" * 101, "source.reference"),
        ("victim.contact.safe_times", "a\x00b", "victim.contact.safe_times"),
    ],
)
def test_bad_input_names_the_field(path: str, value: object, field: str) -> None:
    with pytest.raises(InputError) as err:
        referral_from_dict(with_(path, value), today=TODAY)
    assert err.value.field == field


@pytest.mark.parametrize("missing", ["source", "victim", "incident", "assessment"])
def test_missing_sections(missing: str) -> None:
    doc = good()
    del doc[missing]
    with pytest.raises(InputError) as err:
        referral_from_dict(doc, today=TODAY)
    assert err.value.field == missing


def test_unknown_top_level_field() -> None:
    doc = good()
    doc["extra"] = 1
    with pytest.raises(InputError, match="not a known field"):
        referral_from_dict(doc, today=TODAY)


def test_not_an_object() -> None:
    with pytest.raises(InputError):
        referral_from_dict([1, 2], today=TODAY)


def test_the_shipped_directory_round_trips() -> None:
    d = load_directory()
    assert len(d.services) == 28
    assert directory_from_dict(directory_to_dict(d)) == d


def test_the_shipped_directory_has_the_fixed_ids() -> None:
    ids = {s.id for s in load_directory().services}
    for expected in [
        "victim-support-triage",
        "victim-support-enhanced",
        "victim-support-older",
        "bobby-scheme",
        "idva-cambridgeshire",
        "idva-peterborough",
        "isva-cambridgeshire",
        "isva-peterborough",
        "womens-aid-refuge",
        "sarc-peterborough",
        "road-victims-trust",
        "homicide-service",
        "witness-service",
        "young-victims-service",
        "hate-crime-advocacy",
        "mental-health-wellbeing",
        "mental-health-crisis",
        "drug-alcohol-cambridgeshire",
        "drug-alcohol-peterborough",
        "citizens-advice-cambridgeshire",
        "citizens-advice-peterborough",
        "housing-cambridge",
        "housing-east-cambridgeshire",
        "housing-fenland",
        "housing-huntingdonshire",
        "housing-south-cambridgeshire",
        "housing-peterborough",
        "neighbourhood-watch",
    ]:
        assert expected in ids
    assert len(ids) == 28


def test_every_provider_of_the_shipped_directory_exists() -> None:
    doc = load_directory_document()
    providers = {p["id"] for p in doc["providers"]}
    assert {s["provider_id"] for s in doc["services"]} <= providers


def broken(mutate: Any) -> dict[str, Any]:
    doc = copy.deepcopy(load_directory_document())
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["services"][0].update(id=d["services"][1]["id"]), "services[1].id"),
        (lambda d: d["services"][0].update(needs=["hugs"]), "services[0].needs[0]"),
        (lambda d: d["services"][0].update(specialisms=["refuge"]), "services[0].specialisms"),
        (
            lambda d: d["services"][0]["eligibility"].update(min_age=50, max_age=20),
            "services[0].eligibility.min_age",
        ),
        (
            lambda d: d["services"][0]["eligibility"].update(areas=["Cambridge"]),
            "services[0].eligibility.areas[0]",
        ),
        (
            lambda d: d["services"][0]["eligibility"].update(colour="blue"),
            "services[0].eligibility.colour",
        ),
        (
            lambda d: d["pathways"].append({"from_service": "entry:police", "to_service": "nope"}),
            None,
        ),
        (
            lambda d: d["pathways"].append(
                {"from_service": "entry:self", "to_service": "bobby-scheme"}
            ),
            None,
        ),
        (lambda d: d["services"][0].update(id="entry:x"), "services[0].id"),
    ],
)
def test_a_broken_directory_is_refused_naming_the_field(mutate: Any, field: str | None) -> None:
    with pytest.raises(DirectoryError) as err:
        directory_from_dict(broken(mutate))
    if field is not None:
        assert err.value.field == field
    else:
        assert err.value.field.startswith("pathways[")


def test_the_shipped_file_is_valid_json_with_two_space_indent() -> None:
    text = resources.files("graph").joinpath("data/cambridgeshire-peterborough.json").read_text()
    assert json.loads(text)["version"]
