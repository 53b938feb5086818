"""The plan prefers services that meet the victim's language and access needs (a cost, never an
exclusion), says what to confirm, and changes nothing for a victim who gave none."""

from __future__ import annotations

import datetime as dt

from graph import (
    Capacity,
    Directory,
    Incident,
    Pathway,
    Referral,
    Service,
    Victim,
    build_graph,
    make_plan,
)
from graph.model import Assessment
from graph.vocabulary import AccessNeed, Check, IncidentKind, Need, Severity, SourceKind

from .helpers import NOW, plan_for, shipped_graph

FRESH = NOW - dt.timedelta(hours=1)


def _service(sid: str, **declared: object) -> Service:
    return Service(
        id=sid,
        provider_id="p",
        name=sid.capitalize(),
        needs=(Need.EMOTIONAL_SUPPORT,),
        capacity=Capacity(available=5, maximum=10, updated=FRESH),
        **declared,  # type: ignore[arg-type]
    )


def _plan(*services: Service, consent: bool = True, **victim: object) -> tuple[str, Service]:
    directory = Directory(
        version="1",
        services=services,
        pathways=tuple(Pathway("entry:police", s.id, 1.0) for s in services),
    )
    graph = build_graph(directory)
    referral = Referral(
        source=SourceKind.POLICE,
        victim=Victim(area="E07000008", age=30, consent_to_share=consent, **victim),  # type: ignore[arg-type]
        incident=Incident(kind=IncidentKind.THEFT, reported_to_police=True),
        assessment=Assessment(needs={Need.EMOTIONAL_SUPPORT: Severity.MODERATE}),
    )
    plan = make_plan(graph, referral, now=NOW)
    [handover] = plan.handovers
    return handover.service_id, graph.services[handover.service_id]


ENGLISH = _service("a-english", languages=("en",))
POLISH = _service("b-polish", languages=("en", "pl"))
INTERPRETERS = _service("c-interpreters", languages=("en",), interpreters=True)
STEP_FREE = _service("d-step-free", access=frozenset({AccessNeed.STEP_FREE_ACCESS}))


def test_without_language_or_access_needs_the_first_by_id_wins_as_before() -> None:
    assert _plan(ENGLISH, POLISH, INTERPRETERS)[0] == "a-english"


def test_a_service_working_in_the_victims_language_is_preferred() -> None:
    assert _plan(ENGLISH, POLISH, INTERPRETERS, language="pl")[0] == "b-polish"
    assert _plan(ENGLISH, POLISH, INTERPRETERS, language="pl-PL")[0] == "b-polish"


def test_one_that_books_interpreters_beats_one_that_does_not() -> None:
    assert _plan(ENGLISH, INTERPRETERS, language="ur", interpreter=True)[0] == "c-interpreters"


def test_an_unmet_language_is_a_cost_not_an_exclusion() -> None:
    sid, _ = _plan(ENGLISH, language="ur")
    assert sid == "a-english"


def test_access_needs_prefer_a_service_that_declares_them() -> None:
    needs = frozenset({AccessNeed.STEP_FREE_ACCESS})
    assert _plan(ENGLISH, STEP_FREE, access_needs=needs)[0] == "d-step-free"
    assert _plan(ENGLISH, STEP_FREE)[0] == "a-english"


def test_the_explanation_says_what_to_confirm_on_a_warm_handover_only() -> None:
    directory_services = (ENGLISH, INTERPRETERS)
    graph = build_graph(
        Directory(
            version="1",
            services=directory_services,
            pathways=tuple(
                Pathway(entry, s.id, 1.0)
                for s in directory_services
                for entry in ("entry:police", "entry:self")
            ),
        )
    )
    for consent in (True, False):
        referral = Referral(
            source=SourceKind.POLICE,
            victim=Victim(
                area="E07000008",
                age=30,
                consent_to_share=consent,
                language="ur",
                interpreter=True,
                access_needs=frozenset({AccessNeed.EASY_READ}),
            ),
            incident=Incident(kind=IncidentKind.THEFT, reported_to_police=True),
            assessment=Assessment(needs={Need.EMOTIONAL_SUPPORT: Severity.MODERATE}),
        )
        [h] = make_plan(graph, referral, now=NOW).handovers
        assert h.service_id == "c-interpreters"
        e = h.explanation
        if consent:
            assert Check.LANGUAGE in e.passed
            assert {Check.INTERPRETER, Check.ACCESS} <= set(e.confirm)
            assert "Book an interpreter (Urdu)." in e.summary
            assert "Confirm it can offer: easy read." in e.summary
        else:
            # A signpost tells the provider nothing about the victim.
            checks = {*e.passed, *e.confirm}
            assert not checks & {Check.LANGUAGE, Check.INTERPRETER, Check.ACCESS}
            assert "Book an interpreter" not in e.summary


def test_the_shipped_directory_prefers_the_idva_that_works_in_polish() -> None:
    graph = shipped_graph()
    plan = plan_for(
        graph,
        victim={"area": "E06000031", "sex": "female", "language": "pl"},
        incident={"kind": "domestic_abuse"},
        assessment={"dash_score": 16, "needs": {"domestic_abuse_advocacy": 3}},
    )
    lead = next(h for h in plan.handovers if h.lead)
    assert lead.service_id == "idva-peterborough"
    assert "Works in Polish." in lead.explanation.summary
