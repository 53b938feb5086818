"""Languages, interpreters and access needs: read strictly, written back, absent = as before."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from graph import (
    DirectoryError,
    InputError,
    canonical_json,
    directory_from_dict,
    directory_to_dict,
    load_directory,
    load_directory_document,
    referral_from_dict,
)
from graph.codec import service_from_dict, service_to_dict
from graph.vocabulary import AccessNeed, language_tag

from .helpers import TODAY, body

NEW_SERVICE_FIELDS = ("languages", "interpreters", "access")


def _service(**extra: Any) -> dict[str, Any]:
    return {"id": "s", "provider_id": "p", "name": "S", "needs": ["health"], **extra}


def _undeclared(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for s in doc["services"]:
        for key in NEW_SERVICE_FIELDS:
            s.pop(key, None)
    return doc


# --------------------------------------------------------------------------- services


def test_a_service_reads_its_languages_in_canonical_case_and_sorted() -> None:
    s = service_from_dict(
        _service(languages=["PL", "en", "pt-br", "bfi"], interpreters=True, access=["easy_read"])
    )
    assert s.languages == ("bfi", "en", "pl", "pt-BR")
    assert s.interpreters is True
    assert s.access == frozenset({AccessNeed.EASY_READ})


def test_absent_fields_are_undeclared_not_english() -> None:
    s = service_from_dict(_service())
    assert (s.languages, s.interpreters, s.access) == ((), False, frozenset())


def test_undeclared_fields_are_not_written() -> None:
    written = service_to_dict(service_from_dict(_service()))
    assert not set(written) & set(NEW_SERVICE_FIELDS)


def test_declared_fields_round_trip() -> None:
    raw = _service(
        languages=["en", "pl"], interpreters=True, access=["step_free_access", "home_visits"]
    )
    s = service_from_dict(raw)
    written = service_to_dict(s)
    assert written["languages"] == ["en", "pl"]
    assert written["interpreters"] is True
    assert written["access"] == ["home_visits", "step_free_access"]  # sorted
    assert service_from_dict(written) == s


def test_a_directory_without_declarations_writes_exactly_as_before() -> None:
    doc = _undeclared(load_directory_document())
    d = directory_from_dict(doc)
    assert all(s.languages == () and not s.interpreters and not s.access for s in d.services)
    written = directory_to_dict(d)
    for s in written["services"]:
        assert not set(s) & set(NEW_SERVICE_FIELDS), s["id"]
    # Nothing else moves: the same bytes as the declared directory with those keys taken out.
    declared = directory_to_dict(load_directory())
    assert canonical_json(written) == canonical_json(_undeclared(declared))


def test_the_shipped_directory_round_trips_with_its_declarations() -> None:
    d = load_directory()
    assert directory_from_dict(directory_to_dict(d)) == d


def test_the_shipped_directory_declares_english_everywhere() -> None:
    d = load_directory()
    for s in d.services:
        assert "en" in s.languages, s.id
    by_id = {s.id: s for s in d.services}
    for sid in (
        "victim-support-triage",
        "idva-cambridgeshire",
        "idva-peterborough",
        "isva-cambridgeshire",
        "isva-peterborough",
        "sarc-peterborough",
        "womens-aid-refuge",
        "mental-health-crisis",
    ):
        assert by_id[sid].interpreters, sid
    assert AccessNeed.STEP_FREE_ACCESS in by_id["sarc-peterborough"].access


BAD_SERVICES: list[tuple[dict[str, Any], str, str]] = [
    ({"languages": "en"}, "service.languages", "must be a list"),
    ({"languages": ["english"]}, "service.languages[0]", "language tag"),
    ({"languages": ["en", "e"]}, "service.languages[1]", "language tag"),
    ({"languages": [7]}, "service.languages[0]", "language tag"),
    ({"languages": ["en-"]}, "service.languages[0]", "language tag"),
    ({"languages": ["x" * 40]}, "service.languages[0]", "language tag"),
    ({"languages": ["en", "EN"]}, "service.languages[1]", "repeats the language 'en'"),
    ({"interpreters": "yes"}, "service.interpreters", "true or false"),
    ({"interpreters": 1}, "service.interpreters", "true or false"),
    ({"access": ["ramp"]}, "service.access[0]", "must be one of"),
    ({"access": ["easy_read", "easy_read"]}, "service.access", "must not repeat"),
    ({"access": "easy_read"}, "service.access", "must be a list"),
]


@pytest.mark.parametrize(("extra", "field", "words"), BAD_SERVICES)
def test_bad_declarations_name_their_field(extra: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(DirectoryError) as caught:
        service_from_dict(_service(**extra))
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_bad_tag_in_a_directory_names_the_service() -> None:
    doc = load_directory_document()
    doc["services"][3]["languages"] = ["en", "??"]
    with pytest.raises(DirectoryError) as caught:
        directory_from_dict(doc)
    assert caught.value.field == "services[3].languages[1]"


# --------------------------------------------------------------------------- victims


def test_a_referral_reads_the_victims_language_and_access_needs() -> None:
    r = referral_from_dict(
        body(
            victim={
                "language": "PL",
                "interpreter": True,
                "access_needs": ["step_free_access", "hearing_loop"],
            }
        ),
        today=TODAY,
    )
    assert r.victim.language == "pl"
    assert r.victim.interpreter is True
    assert r.victim.access_needs == {AccessNeed.STEP_FREE_ACCESS, AccessNeed.HEARING_LOOP}


def test_a_referral_without_them_reads_as_before() -> None:
    r = referral_from_dict(body(), today=TODAY)
    assert (r.victim.language, r.victim.interpreter, r.victim.access_needs) == (
        None,
        False,
        frozenset(),
    )


BAD_VICTIMS: list[tuple[dict[str, Any], str]] = [
    ({"language": "Polish"}, "victim.language"),
    ({"language": ""}, "victim.language"),
    ({"language": ["pl"]}, "victim.language"),
    ({"interpreter": "no"}, "victim.interpreter"),
    ({"access_needs": ["wheelchair"]}, "victim.access_needs[0]"),
    ({"access_needs": "easy_read"}, "victim.access_needs"),
]


@pytest.mark.parametrize(("victim", "field"), BAD_VICTIMS)
def test_bad_victim_fields_name_their_field(victim: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        referral_from_dict(body(victim=victim), today=TODAY)
    assert caught.value.field == field


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("pt-br", "pt-BR"),
        ("PA-guru", "pa-Guru"),
        ("zh-hant-hk", "zh-Hant-HK"),
        ("es-419", "es-419"),
        ("bfi", "bfi"),
        ("sl-ROZAJ", "sl-rozaj"),
    ],
)
def test_language_tags_take_their_canonical_case(given: str, canonical: str) -> None:
    assert language_tag(given) == canonical


@pytest.mark.parametrize(
    "bad",
    ["", "e", "engl", "en_GB", "en-", "-en", "en--GB", "1en", "en GB", "pl\x00", "en\n", "ｅｎ"],
)
def test_malformed_language_tags_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="language tag"):
        language_tag(bad)
