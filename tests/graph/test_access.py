"""access_match: how a service meets a victim's language and access needs; and the payload."""

from __future__ import annotations

import pytest

from graph import AccessMatch, LanguageFit, access_match, handover_payload, make_plan
from graph.model import Service, Victim
from graph.payload import PERSONAL_KEYS
from graph.vocabulary import AccessNeed, Check, HandoverMode, Need

from .helpers import CAMBRIDGE, NOW, referral, shipped_graph

STEP_FREE = AccessNeed.STEP_FREE_ACCESS
LOOP = AccessNeed.HEARING_LOOP
HOME = AccessNeed.HOME_VISITS


def svc(
    languages: tuple[str, ...] = (),
    interpreters: bool = False,
    access: frozenset[AccessNeed] = frozenset(),
) -> Service:
    return Service(
        "s",
        "p",
        "S",
        (Need.EMOTIONAL_SUPPORT,),
        languages=languages,
        interpreters=interpreters,
        access=access,
    )


def victim(
    language: str | None = None,
    interpreter: bool = False,
    access_needs: frozenset[AccessNeed] = frozenset(),
) -> Victim:
    return Victim(
        area=CAMBRIDGE, language=language, interpreter=interpreter, access_needs=access_needs
    )


@pytest.mark.parametrize(
    ("service", "person", "fit", "interpreter"),
    [
        # Nothing asked: every service fits, declared or not.
        (svc(), victim(), LanguageFit.NOT_ASKED, False),
        (svc(("en",)), victim(), LanguageFit.NOT_ASKED, False),
        # Spoken, by primary language either way round.
        (svc(("en", "pl")), victim("pl"), LanguageFit.SPOKEN, False),
        (svc(("pt",)), victim("pt-BR"), LanguageFit.SPOKEN, False),
        (svc(("pt-BR",)), victim("pt"), LanguageFit.SPOKEN, False),
        # Spoken by the staff: no interpreter, even when the victim asked for one.
        (svc(("en", "pl"), interpreters=True), victim("pl", True), LanguageFit.SPOKEN, False),
        (svc(("bfi",)), victim("bfi", True), LanguageFit.SPOKEN, False),
        # Not spoken: an interpreter, where the service arranges them.
        (svc(("en",), interpreters=True), victim("lt"), LanguageFit.INTERPRETER, True),
        (svc(interpreters=True), victim("bfi", True), LanguageFit.INTERPRETER, True),
        (svc(("en",), interpreters=True), victim(None, True), LanguageFit.INTERPRETER, True),
        # Undeclared is unknown, not English only.
        (svc(), victim("en"), LanguageFit.UNKNOWN, False),
        (svc(), victim("pl", True), LanguageFit.UNKNOWN, False),
        # Declared, not spoken, no interpreters.
        (svc(("en",)), victim("lt"), LanguageFit.UNMET, False),
        (svc(("en",)), victim(None, True), LanguageFit.UNMET, False),
    ],
)
def test_the_language_fit(
    service: Service, person: Victim, fit: LanguageFit, interpreter: bool
) -> None:
    m = access_match(service, person)
    assert (m.language, m.interpreter) == (fit, interpreter)


def test_access_needs_are_met_one_by_one() -> None:
    m = access_match(
        svc(access=frozenset({STEP_FREE, HOME})),
        victim(access_needs=frozenset({STEP_FREE, LOOP})),
    )
    assert m.met == frozenset({STEP_FREE})
    assert m.to_arrange == frozenset({LOOP})
    assert not m.full
    assert m.confirm == (Check.ACCESS,)


def test_a_full_match_has_nothing_to_confirm() -> None:
    m = access_match(
        svc(("en", "pl"), access=frozenset({STEP_FREE})),
        victim("pl", access_needs=frozenset({STEP_FREE})),
    )
    assert m.full
    assert m.confirm == ()
    assert m.key == (0, 0, 0)


def test_what_to_confirm() -> None:
    assert access_match(svc(("en",), interpreters=True), victim("ur")).confirm == (
        Check.INTERPRETER,
    )
    assert access_match(svc(), victim("ur")).confirm == (Check.LANGUAGE,)
    assert access_match(svc(("en",)), victim("ur", access_needs=frozenset({LOOP}))).confirm == (
        Check.LANGUAGE,
        Check.ACCESS,
    )


def test_the_key_orders_services_best_first() -> None:
    person = victim("pl", True, frozenset({STEP_FREE}))
    services = {
        "speaks": svc(("pl",), access=frozenset({STEP_FREE})),
        "speaks-no-ramp": svc(("pl",)),
        "interpreter": svc(("en",), True, frozenset({STEP_FREE})),
        "unknown": svc(),
        "unmet": svc(("en",), access=frozenset({STEP_FREE})),
    }
    ranked = sorted(services, key=lambda k: access_match(services[k], person).key)
    assert ranked == ["speaks", "speaks-no-ramp", "interpreter", "unknown", "unmet"]


def test_a_match_is_a_frozen_value() -> None:
    m = access_match(svc(), victim())
    assert isinstance(m, AccessMatch)
    assert m == access_match(svc(), victim())
    assert hash(m) == hash(access_match(svc(), victim()))


# --------------------------------------------------------------------------- payloads

PROFILE = {
    "language": "pl",
    "interpreter": True,
    "access_needs": ["step_free_access", "hearing_loop"],
}


def test_a_warm_handover_carries_language_interpreter_and_access_needs() -> None:
    r = referral(
        victim={"consent_to_share": True, **PROFILE},
        incident={"kind": "burglary"},
        assessment={"needs": {"emotional_support": 2}},
    )
    plan = make_plan(shipped_graph(), r, now=NOW)
    assert plan.handovers
    for h in plan.handovers:
        assert h.mode is HandoverMode.WARM
        v = handover_payload(r, h)["victim"]
        assert v["language"] == "pl"
        assert v["interpreter"] is True
        assert v["access_needs"] == ["hearing_loop", "step_free_access"]


def test_a_warm_handover_without_them_says_none_given() -> None:
    r = referral(incident={"kind": "burglary"}, assessment={"needs": {"emotional_support": 2}})
    v = handover_payload(r, make_plan(shipped_graph(), r, now=NOW).handovers[0])["victim"]
    assert (v["language"], v["interpreter"], v["access_needs"]) == (None, False, [])


def test_a_signpost_carries_none_of_them() -> None:
    r = referral(
        victim={"consent_to_share": False, **PROFILE},
        incident={"kind": "burglary"},
        assessment={"needs": {"emotional_support": 2}},
    )
    plan = make_plan(shipped_graph(), r, now=NOW)
    assert plan.handovers
    for h in plan.handovers:
        payload = handover_payload(r, h, handover_id="h1")
        assert not set(payload) & PERSONAL_KEYS
        text = repr(payload)
        for secret in ("'pl'", "interpreter", "step_free_access", "hearing_loop"):
            assert secret not in text
