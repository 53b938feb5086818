"""Property tests of the routing engine on generated directories and victims (issue 2).

1. Every need of severity 1+ is met by exactly one handover or listed unmet — and unmet only
   when no usable service could meet it; no need of severity 0 is assigned.
2. Nothing ineligible, red or refused is chosen; every handover follows a declared pathway and
   the handover tree is acyclic and rooted at the entry node.
3. Specialists first: a need of severity 2+, or any need of a high-risk victim, goes to a
   specialist whenever a usable one exists.
4. Without consent every handover is a signpost and its payload carries no personal data.
5. Determinism: the same inputs — in any order — give the same plan, byte for byte.
6. Through random case histories driven by a model router (``Case`` below): a high-risk victim
   keeps an active lead, releases wait for first contact, statuses follow ``TRANSITIONS``.
7. Reassessing an unchanged assessment once every handover is in progress changes nothing.

The oracles here use only the engine's public eligibility check (``graph.eligibility.check``)
and the directory's own data; reachability, specialists and capacity are recomputed from the
directory, not read from the planner's internals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence

import pytest
from hypothesis import currently_in_test_context, example, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import note as hypothesis_note
from hypothesis import strategies as st

from graph.build import build_graph
from graph.codec import (
    canonical_json,
    directory_from_dict,
    directory_to_dict,
    plan_to_dict,
    referral_from_dict,
)
from graph.eligibility import Context, check, context
from graph.model import (
    Assessment,
    Capacity,
    CurrentHandover,
    Diff,
    Directory,
    Eligibility,
    Incident,
    Pathway,
    Plan,
    Reassessment,
    Referral,
    Service,
    Victim,
)
from graph.payload import PERSONAL_KEYS, handover_payload
from graph.plan import make_plan
from graph.reassess import reassess, releases_due
from graph.vocabulary import (
    ENTRY_NODES,
    ENTRY_POLICE,
    ENTRY_SELF,
    OPEN_STATUSES,
    TRANSITIONS,
    CapacityStatus,
    HandoverMode,
    HandoverStatus,
    IncidentKind,
    Need,
    RiskLevel,
    Severity,
    SourceKind,
)

from .strategies import (
    NOW,
    TODAY,
    Scenario,
    assessments,
    need_pool,
    referral_to_body,
    scenarios,
)

CONTACTED = frozenset({HandoverStatus.IN_PROGRESS, HandoverStatus.COMPLETED})
"""First contact made (DESIGN.md §4: a release waits for this)."""
ACTIVE = frozenset({HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS})
"""The victim is with the provider."""


def note(message: str) -> None:
    """``hypothesis.note`` inside a property; also usable from the plain regression tests."""
    if currently_in_test_context():
        hypothesis_note(message)


def event(value: str) -> None:
    if currently_in_test_context():
        hypothesis_event(value)


def _share(fraction: float) -> settings:
    """A share of the active profile's examples, for the heavier tests."""
    return settings(max_examples=max(10, int(settings.default.max_examples * fraction)))


# --------------------------------------------------------------------------- oracles


def expected_entry(referral: Referral) -> str:
    """Where a plan starts: a self-referral, or any referral without consent (a signpost,
    the victim refers themselves), starts at ``entry:self``."""
    if referral.source is SourceKind.SELF or not referral.victim.consent_to_share:
        return ENTRY_SELF
    return ENTRY_POLICE


def usable_services(directory: Directory, ctx: Context) -> set[str]:
    """Services that may work with this victim at all: every victim check passes, not red,
    not refused."""
    refused = ctx.referral.victim.refused_services
    return {
        s.id
        for s in directory.services
        if not check(s, ctx).failed
        and s.capacity.status is not CapacityStatus.RED
        and s.id not in refused
    }


def reachable(directory: Directory, usable: set[str], sources: Iterable[str]) -> set[str]:
    """Usable services reachable from ``sources`` along declared pathways through usable
    services only (a service that cannot take the victim cannot pass them on)."""
    successors: defaultdict[str, list[str]] = defaultdict(list)
    for p in directory.pathways:
        successors[p.from_node].append(p.to_service)
    seen: set[str] = set()
    stack = list(sources)
    while stack:
        for target in successors[stack.pop()]:
            if target in usable and target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def able_to_meet(directory: Directory, ctx: Context, need: Need, reach: set[str]) -> set[str]:
    """Reachable services listing ``need`` whose every check passes for it."""
    return {
        s.id
        for s in directory.services
        if s.id in reach and need in s.needs and not check(s, ctx, need).failed
    }


def serves_area(service: Service, area: str) -> bool:
    return service.eligibility.areas is None or area in service.eligibility.areas


def plan_of(scn: Scenario) -> tuple[Plan, Context]:
    plan = make_plan(build_graph(scn.directory), scn.referral, now=NOW)
    return plan, context(scn.referral, as_of=TODAY)


def oracle_reach(scn: Scenario, ctx: Context) -> set[str]:
    usable = usable_services(scn.directory, ctx)
    return reachable(scn.directory, usable, [expected_entry(scn.referral)])


def tree_path(plan: Plan, service_id: str, roots: set[str]) -> list[str]:
    """Follow ``from_node`` up from ``service_id`` to a root; fail on a cycle or a dangling
    sender."""
    parent = {h.service_id: h.from_node for h in plan.handovers}
    path = [service_id]
    node = service_id
    while node not in roots:
        assert node in parent, f"{service_id}: sender {node!r} is neither in the plan nor a root"
        node = parent[node]
        assert node not in path, f"the handover tree has a cycle through {node!r}: {path}"
        path.append(node)
    return path[::-1]


def check_needs_cover(plan: Plan, ctx: Context) -> None:
    """Property 1's first half, for any plan: met once or unmet, never both, never neither.

    The needs are the assessment's plus those the routing rules imply (``ctx.needs``); an
    implied need never overrides one the assessment names, even at severity 0 (not wanted).
    """
    given = ctx.referral.assessment.needs
    assert {n: ctx.needs[n] for n in given} == dict(given)
    assert plan.implied == ctx.implied
    assert {i.need for i in ctx.implied}.isdisjoint(given)
    needs = ctx.needs
    met = Counter(n for h in plan.handovers for n in h.needs)
    unmet = Counter(u.need for u in plan.unmet)
    for need, severity in needs.items():
        if severity >= Severity.LOW:
            assert met[need] + unmet[need] == 1, (
                f"{need.value} (severity {int(severity)}) is met {met[need]} times and "
                f"listed unmet {unmet[need]} times"
            )
        else:
            assert met[need] == unmet[need] == 0, f"{need.value} has severity 0 but is planned"
    planned = set(met) | set(unmet)
    assert planned <= set(needs), f"needs the victim does not have: {planned - set(needs)}"


# --------------------------------------------------------------------------- hand-made cases


def _service(sid: str, *needs: Need, specialist: Iterable[Need] = ()) -> Service:
    """An unrestricted service with fresh green capacity."""
    return Service(
        sid,
        "provider",
        sid.upper(),
        needs,
        specialisms=frozenset(specialist),
        capacity=Capacity(updated=NOW - dt.timedelta(hours=1)),
    )


def _scenario(
    services: Sequence[Service],
    pathways: Sequence[tuple[str, str]],
    needs: dict[Need, Severity],
    *,
    risk: RiskLevel | None = None,
    consent: bool = True,
    source: SourceKind = SourceKind.POLICE,
) -> Scenario:
    return Scenario(
        Directory("hand-made", tuple(services), tuple(Pathway(a, b) for a, b in pathways)),
        Referral(
            source,
            Victim("E07000008", consent_to_share=consent),
            Incident(IncidentKind.VIOLENCE, reported_to_police=True),
            Assessment(needs=needs, risk_level=risk),
        ),
    )


COORDINATOR_CASE = _scenario(
    [_service("c", Need.HEALTH), _service("s", Need.HEALTH, specialist=[Need.HEALTH])],
    [(ENTRY_SELF, "c"), (ENTRY_POLICE, "s"), ("c", "s")],
    {Need.HEALTH: Severity.MODERATE},
    consent=False,
)
"""Without consent the victim self-refers: only ``c`` takes self-referrals, so ``c`` passes
them on to the specialist ``s`` as a coordinator (property 7's first counterexample)."""


# --------------------------------------------------------------------------- strategy sanity


@given(scenarios())
@_share(0.3)
def test_generated_inputs_are_valid_documents(scn: Scenario) -> None:
    """The strategies only make what the codec accepts, so every counterexample is real."""
    assert directory_from_dict(directory_to_dict(scn.directory)) == scn.directory
    body = referral_to_body(scn.referral, reference="CC/2026/000001")
    assert referral_from_dict(body, today=TODAY) == scn.referral


def test_an_empty_restriction_survives_a_round_trip() -> None:
    nowhere = dataclasses.replace(
        _service("nowhere", Need.HEALTH), eligibility=Eligibility(areas=frozenset())
    )
    directory = Directory("v", (nowhere,), ())
    assert directory_from_dict(directory_to_dict(directory)) == directory


# --------------------------------------------------------------------------- 1. coverage


def check_coverage(scn: Scenario) -> None:
    plan, ctx = plan_of(scn)
    check_needs_cover(plan, ctx)

    # Unmet exactly when nothing usable could meet it, with a reason from every candidate.
    reach = oracle_reach(scn, ctx)
    unmet = {u.need: u for u in plan.unmet}
    services = {s.id: s for s in scn.directory.services}
    area = scn.referral.victim.area
    for need, severity in ctx.needs.items():
        if severity < Severity.LOW:
            continue
        able = able_to_meet(scn.directory, ctx, need, reach)
        assert (need in unmet) == (not able), (
            f"{need.value}: unmet={need in unmet} but services able to meet it: {sorted(able)}"
        )
        if need in unmet:
            u = unmet[need]
            assert u.severity == severity
            candidates = {
                s.id for s in services.values() if need in s.needs and serves_area(s, area)
            }
            assert {r.service_id for r in u.reasons} == candidates
            assert all(r.failed for r in u.reasons)
    event(f"unmet needs: {min(len(plan.unmet), 2)}{'+' if len(plan.unmet) >= 2 else ''}")


@given(scenarios())
def test_every_need_is_met_once_or_listed_unmet(scn: Scenario) -> None:
    check_coverage(scn)


# --------------------------------------------------------------------------- 2. usable, pathways


def check_usable_and_pathways(scn: Scenario) -> None:
    plan, ctx = plan_of(scn)
    referral = scn.referral
    services = {s.id: s for s in scn.directory.services}
    declared = {(p.from_node, p.to_service) for p in scn.directory.pathways}

    assert plan.entry == expected_entry(referral)
    assert plan.mode is (
        HandoverMode.WARM if referral.victim.consent_to_share else HandoverMode.SIGNPOST
    )
    assert len(set(plan.service_ids)) == len(plan.service_ids), "a service is planned twice"
    for h in plan.handovers:
        service = services[h.service_id]
        for need in h.needs:
            assert need in service.needs
            verdict = check(service, ctx, need)
            assert not verdict.failed, f"{h.service_id} fails {verdict.failed} for {need.value}"
        # Coordinators meet no need but still take the victim on: they must be usable too.
        assert not check(service, ctx).failed
        assert service.capacity.status is not CapacityStatus.RED, f"{h.service_id} is red"
        assert h.service_id not in referral.victim.refused_services
        assert (h.from_node, h.service_id) in declared, f"no pathway {h.from_node} → {h.service_id}"
        assert h.mode is plan.mode
        # A fresh plan sends from the entry node now; deeper handovers wait for their sender.
        assert h.status is (
            HandoverStatus.REQUESTED if h.from_node in ENTRY_NODES else HandoverStatus.PROPOSED
        )
        path = tree_path(plan, h.service_id, {plan.entry})
        assert list(h.explanation.path) == path

    leads = [h.service_id for h in plan.handovers if h.lead]
    assert leads == ([plan.lead] if plan.lead is not None else [])
    lead = plan.handover(plan.lead) if plan.lead is not None else None
    assert (lead is not None and bool(lead.needs)) or not plan.handovers
    event(f"handovers: {min(len(plan.handovers), 3)}{'+' if len(plan.handovers) >= 3 else ''}")
    event("has a coordinator" if any(not h.needs for h in plan.handovers) else "no coordinator")


@given(scenarios())
def test_nothing_unusable_is_chosen_and_handovers_follow_pathways(scn: Scenario) -> None:
    check_usable_and_pathways(scn)


# --------------------------------------------------------------------------- 3. specialists


def check_specialists_first(scn: Scenario) -> None:
    plan, ctx = plan_of(scn)
    services = {s.id: s for s in scn.directory.services}
    reach = oracle_reach(scn, ctx)
    high = ctx.risk_level is RiskLevel.HIGH
    meets = {n: h.service_id for h in plan.handovers for n in h.needs}
    for need, severity in ctx.needs.items():
        if severity < Severity.LOW or not (severity >= Severity.MODERATE or high):
            continue
        specialists = {
            sid
            for sid in able_to_meet(scn.directory, ctx, need, reach)
            if need in services[sid].specialisms
        }
        if not specialists:
            continue
        event("a specialist was available")
        assert need in meets, f"{need.value} unmet though {sorted(specialists)} specialise in it"
        chosen = meets[need]
        assert need in services[chosen].specialisms, (
            f"{need.value} (severity {int(severity)}, high risk: {high}) went to generalist "
            f"{chosen} though {sorted(specialists)} specialise in it"
        )


@given(scenarios())
def test_specialists_first(scn: Scenario) -> None:
    check_specialists_first(scn)


# --------------------------------------------------------------------------- 4. signposts


def _walk(value: object) -> Iterator[tuple[str | None, object]]:
    """Every (key, leaf value) of a JSON-like tree; keys of nested objects included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, None
            yield from _walk(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _walk(v)
    else:
        yield None, value


def personal_values(referral: Referral, reference: str) -> tuple[set[str], set[str], set[int]]:
    """(free text that must not appear anywhere, codes that must not be a value, numbers)."""
    v, i, a = referral.victim, referral.incident, referral.assessment
    text = {v.area, reference}
    text |= {d.isoformat() for d in (i.occurred_on, i.reported_on) if d is not None}
    if v.contact.safe_times:
        text.add(v.contact.safe_times)
    codes = {i.kind.value, v.role.value, *(f.value for f in a.flags)}
    codes |= {x.value for x in (v.sex, a.risk_level) if x is not None}
    numbers = {x for x in (v.age, a.dash_score, a.incidents_last_12_months) if x is not None}
    return text, codes, numbers


def check_signposts(scn: Scenario, reference: str) -> None:
    """Without consent: signposts only, and no personal data in any payload."""
    without_consent = dataclasses.replace(
        scn.referral, victim=dataclasses.replace(scn.referral.victim, consent_to_share=False)
    )
    # Through the API's own reader, so the referrer's case reference is in play too.
    body = referral_to_body(without_consent, reference=reference)
    referral = referral_from_dict(body, today=TODAY)
    plan = make_plan(build_graph(scn.directory), referral, now=NOW)
    assert plan.mode is HandoverMode.SIGNPOST
    assert plan.entry == ENTRY_SELF
    text, codes, numbers = personal_values(referral, reference)
    for h in plan.handovers:
        assert h.mode is HandoverMode.SIGNPOST
        payload = handover_payload(referral, h, handover_id="h-1")
        for key, leaf in _walk(payload):
            assert key not in PERSONAL_KEYS, f"personal key {key!r} in a signpost: {payload}"
            if isinstance(leaf, str):
                assert leaf not in codes, f"personal code {leaf!r} in a signpost: {payload}"
                leaked = [t for t in text if t in leaf]
                assert not leaked, f"personal text {leaked} in a signpost: {payload}"
            elif isinstance(leaf, int) and not isinstance(leaf, bool):
                assert leaf not in numbers, f"personal number {leaf} in a signpost: {payload}"


references = st.from_regex(r"[A-Z]{2}/20[0-9]{2}/[0-9]{6}", fullmatch=True)


@given(scenarios(consent=False), references)
def test_no_personal_data_leaves_without_consent(scn: Scenario, reference: str) -> None:
    check_signposts(scn, reference)


# --------------------------------------------------------------------------- 5. determinism


def _plan_bytes(directory: Directory, referral: Referral) -> str:
    return canonical_json(plan_to_dict(make_plan(build_graph(directory), referral, now=NOW)))


def check_determinism(scn: Scenario, data: st.DataObject) -> None:
    first = _plan_bytes(scn.directory, scn.referral)
    assert _plan_bytes(scn.directory, scn.referral) == first
    shuffled = dataclasses.replace(
        scn.directory,
        services=tuple(data.draw(st.permutations(scn.directory.services), label="services")),
        pathways=tuple(data.draw(st.permutations(scn.directory.pathways), label="pathways")),
    )
    assert _plan_bytes(shuffled, scn.referral) == first, "the plan depends on directory order"


@given(scenarios(), st.data())
def test_plans_are_deterministic_in_any_directory_order(scn: Scenario, data: st.DataObject) -> None:
    check_determinism(scn, data)


# --------------------------------------------------------------------------- 7. stability


def check_stability(scn: Scenario) -> None:
    graph = build_graph(scn.directory)
    plan = make_plan(graph, scn.referral, now=NOW)
    current = [
        CurrentHandover(h.service_id, h.from_node, h.needs, HandoverStatus.IN_PROGRESS, h.lead)
        for h in plan.handovers
    ]
    diff = reassess(graph, scn.referral, current, now=NOW).diff
    assert diff.start == (), (
        f"an unchanged reassessment starts {[h.service_id for h in diff.start]}"
    )
    assert diff.release == (), f"an unchanged reassessment releases {diff.release}"
    assert sorted(k.service_id for k in diff.keep) == sorted(plan.service_ids)
    assert diff.lead_before == plan.lead


@given(scenarios())
@example(COORDINATOR_CASE)
def test_unchanged_reassessment_with_everyone_in_progress_is_stable(scn: Scenario) -> None:
    check_stability(scn)


# --------------------------------------------------------------------------- soak


@pytest.mark.slow
@given(scenarios(min_services=8, max_services=25), references, st.data())
@_share(0.2)
def test_soak_every_plan_property_on_larger_directories(
    scn: Scenario, reference: str, data: st.DataObject
) -> None:
    """Properties 1–5 and 7 together, on bigger directories (``make soak``)."""
    check_coverage(scn)
    check_usable_and_pathways(scn)
    check_specialists_first(scn)
    check_signposts(scn, reference)
    check_determinism(scn, data)
    check_stability(scn)


# --------------------------------------------------------------------------- 6. case histories


@dataclasses.dataclass
class Record:
    """One handover as the router stores it."""

    service_id: str
    from_node: str
    needs: tuple[Need, ...]
    status: HandoverStatus
    lead: bool = False
    """The lead *responsible now*: the old lead keeps this until the new one is in progress."""
    release_after: tuple[str, ...] | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Case:
    """A model of services/router driving graph/ for one case.

    What the router does, as DESIGN.md §4–§5 and API.md describe it:

    - **Intake** is a reassessment from nothing: every planned handover starts.
    - **What it tells the engine**: every handover of the case so far, closed ones included,
      oldest first (``current``), as ``reassess`` asks.
    - **Applying a diff**: ``start`` creates handovers (proposed or requested, as planned);
      ``keep`` updates a handover's needs (and drops any release it had scheduled);
      ``release`` cancels now when ``after`` is empty, else schedules the release with
      ``release_after = after``.
    - **Lead**: exactly one open handover carries ``lead=True`` toward the engine — the one
      *responsible*. When the plan names a new lead, the old lead keeps the flag (acting lead)
      until the new lead is in progress, or until the old one closes.
    - **After every change**: ``releases_due`` is applied (those handovers are cancelled), the
      lead flag is settled, and proposed handovers whose sender is now with the victim
      (accepted or in progress) are sent (→ requested).
    - **Provider actions** follow ``TRANSITIONS``: accept, decline, expire (requested);
      first contact (accepted → in progress); complete (in progress). A decline or expiry is
      re-routed at once with an unchanged assessment.

    The properties are asserted as it goes:

    (a) once a high-risk victim has had a lead in progress, after every step some open
        lead-or-acting-lead handover is accepted or in progress (unless the lead itself has
        just closed the case by completing — a provider's decision, not the engine's);
    (b) a scheduled release happens only once every service in its ``after`` list has made
        first contact (in progress or completed);
    (c) every status change the router makes is in ``TRANSITIONS``; new handovers start
        proposed or requested; a kept handover's planned status is its current one.

    Each reassessment's plan is also held to properties 1 and 2 (with the current providers
    as roots of the handover tree, and services that declined or let a handover expire never
    chosen again). With ``strict_warm`` it further checks the warm-handover rule of §4 beyond
    the ``after`` list: a released provider waits for (i) every service taking over its
    needs, and (for the lead) the new lead, whose *current* handover has not made first
    contact, and (ii) every new handover it sends itself.
    """

    def __init__(self, scn: Scenario, *, strict_warm: bool = False) -> None:
        self.directory = scn.directory
        self.graph = build_graph(scn.directory)
        self.referral = scn.referral
        self.strict_warm = strict_warm
        self.records: list[Record] = []
        self.planned_lead: str | None = None
        self.guarded = False
        """(a) applies: the victim has had a lead in progress and no legitimate gap since."""
        self.services = {s.id: s for s in scn.directory.services}
        self.declared = {(p.from_node, p.to_service) for p in scn.directory.pathways}

    # ------------------------------------------------------------------ views

    def current(self) -> list[CurrentHandover]:
        return [
            CurrentHandover(r.service_id, r.from_node, r.needs, r.status, r.lead, r.release_after)
            for r in self.records
        ]

    def open_record(self, service_id: str | None) -> Record | None:
        return next((r for r in self.records if r.service_id == service_id and r.is_open), None)

    def latest(self, service_id: str) -> Record | None:
        return next((r for r in reversed(self.records) if r.service_id == service_id), None)

    def ctx(self) -> Context:
        return context(self.referral, as_of=TODAY)

    def lead_like(self, r: Record) -> bool:
        return r.is_open and (r.lead or r.service_id == self.planned_lead)

    def has_active_lead(self) -> bool:
        return any(self.lead_like(r) and r.status in ACTIVE for r in self.records)

    def describe(self) -> str:
        return (
            "; ".join(
                f"{r.service_id}:{r.status.value}{'*' if r.lead else ''}"
                f"{' after ' + ','.join(r.release_after) if r.release_after and r.is_open else ''}"
                for r in self.records
            )
            + f" | planned lead {self.planned_lead}"
        )

    # ------------------------------------------------------------------ router actions

    def move(self, r: Record, status: HandoverStatus, why: str) -> None:
        assert status in TRANSITIONS[r.status], (
            f"(c) illegal transition of {r.service_id}: {r.status.value} → {status.value} ({why})"
        )
        note(f"  {r.service_id}: {r.status.value} → {status.value} ({why})")
        r.status = status
        if not r.is_open:
            r.lead = False

    def intake(self) -> None:
        result = reassess(self.graph, self.referral, [], now=NOW)
        assert result.diff.start == result.plan.handovers
        assert not result.diff.keep and not result.diff.release
        self.apply(result)

    def reassess(self, assessment: Assessment | None, why: str) -> None:
        if assessment is not None:
            self.referral = dataclasses.replace(self.referral, assessment=assessment)
            note(f"  new assessment: {dict(assessment.needs)}, risk {self.ctx().risk_level}")
        note(f"reassess ({why})")
        self.apply(reassess(self.graph, self.referral, self.current(), now=NOW))

    def apply(self, result: Reassessment) -> None:
        self.check_reassessment(result)
        diff = result.diff
        for h in diff.start:
            assert self.open_record(h.service_id) is None, f"{h.service_id} started twice"
            assert h.status in (HandoverStatus.PROPOSED, HandoverStatus.REQUESTED), (
                f"(c) {h.service_id} starts as {h.status.value}"
            )
            note(f"  start {h.service_id} from {h.from_node} ({h.status.value})")
            self.records.append(Record(h.service_id, h.from_node, h.needs, h.status))
        for k in diff.keep:
            r = self.open_record(k.service_id)
            assert r is not None, f"kept {k.service_id} is not open"
            r.needs = k.needs
            r.release_after = None
        for rel in diff.release:
            r = self.open_record(rel.service_id)
            assert r is not None, f"released {rel.service_id} is not open"
            event(
                f"release of a{'n active' if r.status in ACTIVE else ' pending'} handover, "
                f"{'scheduled' if rel.after else 'now'}"
            )
            if rel.after:
                note(f"  release {rel.service_id} after {', '.join(rel.after)}")
                r.release_after = rel.after
            else:
                self.move(r, HandoverStatus.CANCELLED, "released now")
        if diff.lead_before is not None and diff.lead_after != diff.lead_before:
            event("the lead changed")
        self.planned_lead = diff.lead_after
        self.settle()

    def settle(self) -> None:
        while due := releases_due(self.current()):
            for sid in due:
                r = self.open_record(sid)
                assert r is not None and r.release_after is not None
                for waited in r.release_after:
                    w = self.latest(waited)
                    assert w is not None and w.status in CONTACTED, (
                        f"(b) {sid} released before {waited} made first contact "
                        f"({None if w is None else w.status.value})"
                    )
                self.move(r, HandoverStatus.CANCELLED, "release due")
        holder = next((r for r in self.records if r.lead and r.is_open), None)
        planned = self.open_record(self.planned_lead)
        if (
            planned is not None
            and planned is not holder
            and (holder is None or planned.status is HandoverStatus.IN_PROGRESS)
        ):
            if holder is not None:
                holder.lead = False
            planned.lead = True
        for r in self.records:
            if r.status is HandoverStatus.PROPOSED:
                sender = self.open_record(r.from_node)
                if sender is not None and sender.status in ACTIVE:
                    self.move(r, HandoverStatus.REQUESTED, f"sent by {r.from_node}")

    def provider(self, r: Record, status: HandoverStatus) -> None:
        was_lead = self.lead_like(r)
        note(f"provider: {r.service_id} {r.status.value} → {status.value}")
        self.move(r, status, "provider")
        if status in (HandoverStatus.DECLINED, HandoverStatus.EXPIRED):
            self.reassess(None, f"{r.service_id} {status.value}")
        else:
            self.settle()
        if status is HandoverStatus.COMPLETED and was_lead and not self.has_active_lead():
            self.guarded = False  # the lead closed the case itself

    # ------------------------------------------------------------------ properties

    def after_step(self) -> None:
        note(f"  state: {self.describe()}")
        active = self.has_active_lead()
        if self.guarded and self.ctx().risk_level is RiskLevel.HIGH:
            event("(a) checked: high risk after a lead was in progress")
            assert active, f"(a) high-risk victim without an active lead: {self.describe()}"
        if not active:
            self.guarded = False  # not high risk: a gap is allowed
        if any(self.lead_like(r) and r.status is HandoverStatus.IN_PROGRESS for r in self.records):
            self.guarded = True

    def check_reassessment(self, result: Reassessment) -> None:
        plan, diff = result.plan, result.diff
        ctx = self.ctx()
        check_needs_cover(plan, ctx)
        open_now = {r.service_id: r for r in self.records if r.is_open}
        gave_up = {
            r.service_id
            for r in self.records
            if r.status in (HandoverStatus.DECLINED, HandoverStatus.EXPIRED)
        }
        started = {h.service_id for h in diff.start}
        for h in plan.handovers:
            service = self.services[h.service_id]
            for need in h.needs:
                assert not check(service, ctx, need).failed, (
                    f"{h.service_id} is ineligible for {need.value}"
                )
            if h.service_id in open_now:
                assert h.status is open_now[h.service_id].status, (
                    f"(c) kept {h.service_id} planned as {h.status.value}, "
                    f"is {open_now[h.service_id].status.value}"
                )
                continue
            assert h.service_id in started
            assert h.service_id not in gave_up, f"{h.service_id} declined or expired before"
            assert not check(service, ctx).failed
            assert service.capacity.status is not CapacityStatus.RED
            assert h.service_id not in self.referral.victim.refused_services
            assert (h.from_node, h.service_id) in self.declared, (
                f"no pathway {h.from_node} → {h.service_id}"
            )
            tree_path(plan, h.service_id, {plan.entry, *open_now})
        if self.strict_warm:
            self.check_warm(plan, diff, open_now)

    def check_warm(self, plan: Plan, diff: Diff, open_now: dict[str, Record]) -> None:
        holder = next((r.service_id for r in open_now.values() if r.lead), None)

        def new_contact_pending(sid: str) -> bool:
            current = open_now.get(sid)
            return current is None or current.status not in CONTACTED

        for rel in diff.release:
            r = open_now[rel.service_id]
            # (i) A provider already with the victim waits for whoever takes over its needs
            # (and, as lead, for the new lead) to make contact in their current handover.
            if r.status in ACTIVE:
                takers = {h.service_id for h in plan.handovers if set(h.needs) & set(r.needs)}
                if rel.service_id == holder and plan.lead is not None:
                    takers.add(plan.lead)
                waits = {t for t in takers if t != rel.service_id and new_contact_pending(t)}
                assert waits <= set(rel.after), (
                    f"warm handover: {rel.service_id} ({r.status.value}) released after "
                    f"{list(rel.after)} but {sorted(waits - set(rel.after))} take over its needs "
                    f"or lead and have not made first contact in their current handover"
                )
            # (ii) Whatever its status, a sender stays until what it sends has made contact
            # (a pending sender cancelled now would leave a proposed handover never sent).
            sent = {h.service_id for h in diff.start if h.from_node == rel.service_id}
            missing = sorted(sent - set(rel.after))
            assert not missing, (
                f"warm handover: {rel.service_id} ({r.status.value}) released after "
                f"{list(rel.after)} but it sends {missing}, which have not made first contact"
            )


PROVIDER_ACTIONS = {
    # Repeats weight the draw toward progress: most handovers are taken up.
    HandoverStatus.REQUESTED: (
        HandoverStatus.ACCEPTED,
        HandoverStatus.ACCEPTED,
        HandoverStatus.DECLINED,
        HandoverStatus.EXPIRED,
    ),
    HandoverStatus.ACCEPTED: (HandoverStatus.IN_PROGRESS,) * 3,
    HandoverStatus.IN_PROGRESS: (HandoverStatus.COMPLETED,),
}
"""What a provider may do to a handover in each status (a subset of ``TRANSITIONS``)."""


def provider_steps(case: Case) -> list[tuple[int, HandoverStatus]]:
    """Every provider action possible now: (record index, new status)."""
    actions = PROVIDER_ACTIONS
    return [(i, status) for i, r in enumerate(case.records) for status in actions.get(r.status, ())]


def run_case(data: st.DataObject, scn: Scenario, *, max_steps: int, strict_warm: bool) -> None:
    """Intake, then up to ``max_steps`` random steps (each a provider action or a
    reassessment, unchanged or new), checking the properties after each."""
    case = Case(scn, strict_warm=strict_warm)
    note(f"intake: needs {dict(scn.referral.assessment.needs)}, risk {case.ctx().risk_level}")
    case.intake()
    case.after_step()
    pool = need_pool(scn.directory)
    seen = [scn.referral.assessment]
    # A reassessment is unchanged (None), new, "resolved" (every need the assessment names
    # down to 0 while the risk stays: then only an acting lead can lead) or "earlier" (needs
    # come back as they were, so services that completed are chosen again).
    kinds = st.sampled_from([None, "new", "resolved", "earlier"])
    fresh = assessments(pool, high_risk_often=True)
    for _ in range(data.draw(st.integers(min(5, max_steps), max_steps), label="steps")):
        # None is a reassessment; two of them so the case does not only ever progress.
        steps: list[tuple[int, HandoverStatus] | None] = [None, *provider_steps(case), None]
        step = data.draw(st.sampled_from(steps), label="step")
        if step is None:
            kind = data.draw(kinds, label="reassessment")
            new: Assessment | None = None
            if kind == "new":
                new = data.draw(fresh, label="assessment")
            elif kind == "resolved":
                now = case.referral.assessment
                new = dataclasses.replace(now, needs=dict.fromkeys(now.needs, Severity.NONE))
            elif kind == "earlier":
                new = data.draw(st.sampled_from(seen), label="earlier assessment")
            if new is not None:
                seen.append(new)
            case.reassess(new, kind or "unchanged")
        else:
            index, status = step
            case.provider(case.records[index], status)
        case.after_step()


@given(scenarios(min_services=3, max_services=12, high_risk_often=True), st.data())
@_share(0.7)
def test_case_histories_keep_leads_releases_and_statuses(
    scn: Scenario, data: st.DataObject
) -> None:
    run_case(data, scn, max_steps=20, strict_warm=False)


@pytest.mark.slow
@given(scenarios(min_services=3, max_services=25, high_risk_often=True), st.data())
@_share(0.2)
def test_long_case_histories(scn: Scenario, data: st.DataObject) -> None:
    run_case(data, scn, max_steps=60, strict_warm=False)


@given(scenarios(min_services=3, max_services=12, high_risk_often=True), st.data())
@_share(0.7)
def test_case_histories_hand_over_warmly(scn: Scenario, data: st.DataObject) -> None:
    run_case(data, scn, max_steps=20, strict_warm=True)


# --------------------------------------------------------------------------- regressions
# Minimal histories the properties above found, replayed through the same model router.


def _step(case: Case, service_id: str, *statuses: HandoverStatus) -> None:
    for status in statuses:
        record = case.open_record(service_id)
        assert record is not None, f"{service_id} has no open handover"
        case.provider(record, status)
        case.after_step()


ACCEPT_AND_CONTACT = (HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS)


def test_the_old_lead_stays_acting_lead_until_the_new_lead_makes_contact() -> None:
    """Escalation to high risk hands the case to the advocacy specialist; the old lead stays
    responsible (acting lead) through the new lead's acceptance, and is released only at its
    first contact — properties (a), (b) and the warm-handover rule along one history."""
    scn = _scenario(
        [
            _service("support", Need.EMOTIONAL_SUPPORT),
            _service(
                "advocate",
                Need.DOMESTIC_ABUSE_ADVOCACY,
                specialist=[Need.DOMESTIC_ABUSE_ADVOCACY],
            ),
        ],
        [(ENTRY_POLICE, "support"), ("support", "advocate")],
        {Need.EMOTIONAL_SUPPORT: Severity.MODERATE},
    )
    case = Case(scn, strict_warm=True)
    case.intake()
    _step(case, "support", *ACCEPT_AND_CONTACT)
    case.reassess(
        Assessment(needs={Need.DOMESTIC_ABUSE_ADVOCACY: Severity.HIGH}, risk_level=RiskLevel.HIGH),
        "escalation",
    )
    case.after_step()
    support = case.open_record("support")
    assert support is not None and support.lead and support.release_after == ("advocate",)
    _step(case, "advocate", HandoverStatus.ACCEPTED)
    assert support.status is HandoverStatus.IN_PROGRESS and support.lead  # still acting lead
    _step(case, "advocate", HandoverStatus.IN_PROGRESS)
    assert support.status is HandoverStatus.CANCELLED
    advocate = case.open_record("advocate")
    assert advocate is not None and advocate.lead


def test_a_sender_stays_until_the_service_it_hands_over_to_has_made_contact() -> None:
    """A current provider the plan no longer needs, but which is the only way to a service the
    plan now needs, sends that handover and stays until it has made first contact (warm
    handover) — it is not released on the spot."""
    scn = _scenario(
        [
            _service("lead", Need.EMOTIONAL_SUPPORT),
            _service("c", Need.PRACTICAL_SUPPORT),
            _service("b", Need.HEALTH),
        ],
        [(ENTRY_POLICE, "lead"), (ENTRY_POLICE, "c"), ("c", "b")],
        {Need.EMOTIONAL_SUPPORT: Severity.MODERATE, Need.PRACTICAL_SUPPORT: Severity.LOW},
    )
    case = Case(scn, strict_warm=True)
    case.intake()
    assert case.planned_lead == "lead"
    _step(case, "lead", *ACCEPT_AND_CONTACT)
    _step(case, "c", *ACCEPT_AND_CONTACT)
    # Practical support is done with; health is needed, and only c can hand over to b.
    case.reassess(
        Assessment(needs={Need.EMOTIONAL_SUPPORT: Severity.MODERATE, Need.HEALTH: Severity.LOW}),
        "needs changed",
    )
    case.after_step()
    b, c = case.open_record("b"), case.open_record("c")
    assert b is not None and b.from_node == "c"
    assert c is not None and c.status is HandoverStatus.IN_PROGRESS
    _step(case, "b", *ACCEPT_AND_CONTACT)


def test_a_restarted_service_has_not_made_first_contact_yet() -> None:
    scn = _scenario(
        [
            _service("x", Need.EMOTIONAL_SUPPORT),
            _service(
                "y",
                Need.HOME_SECURITY,
                Need.DOMESTIC_ABUSE_ADVOCACY,
                specialist=[Need.DOMESTIC_ABUSE_ADVOCACY],
            ),
        ],
        [(ENTRY_POLICE, "x"), (ENTRY_POLICE, "y")],
        {Need.EMOTIONAL_SUPPORT: Severity.MODERATE, Need.HOME_SECURITY: Severity.LOW},
        risk=RiskLevel.HIGH,
    )
    case = Case(scn)
    case.intake()
    assert case.planned_lead == "x"
    _step(case, "x", *ACCEPT_AND_CONTACT)  # x leads, in progress
    _step(case, "y", *ACCEPT_AND_CONTACT, HandoverStatus.COMPLETED)  # y fits the locks, done
    # Domestic abuse is disclosed: y (the advocacy specialist) is to lead from now on.
    case.reassess(
        Assessment(needs={Need.DOMESTIC_ABUSE_ADVOCACY: Severity.HIGH}, risk_level=RiskLevel.HIGH),
        "domestic abuse disclosed",
    )
    case.after_step()  # (a): x must stay acting lead until y's new handover is in progress
