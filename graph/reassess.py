"""Reassessment: a new plan from the victim's current position, returned as a diff.

- Current providers are kept where they still fit (continuity is a planning rule).
- New services are handed over from where the victim is: the current lead first.
- A provider the plan no longer needs is released only after the services replacing it (and,
  for the old lead, the new lead) have made first contact; until then it stays responsible.
- A high-risk victim is never without an active lead: when nothing else can lead, the current
  lead stays on as acting lead.

``releases_due`` tells, after any handover changes status, which scheduled releases may now
happen.

>>> import datetime as dt
>>> from graph.build import build_graph
>>> from graph.codec import load_directory, referral_from_dict
>>> from graph.model import CurrentHandover
>>> from graph.vocabulary import HandoverStatus, Need
>>> g = build_graph(load_directory())
>>> now = dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
>>> body = {"source": {"kind": "police"},
...         "victim": {"age": 34, "area": "E07000008", "consent_to_share": True},
...         "incident": {"kind": "domestic_abuse", "reported_to_police": True},
...         "assessment": {"dash_score": 16, "needs": {"domestic_abuse_advocacy": 3}}}
>>> current = [CurrentHandover("victim-support-enhanced", "entry:police",
...            (Need.EMOTIONAL_SUPPORT,), HandoverStatus.IN_PROGRESS, lead=True)]
>>> r = reassess(g, referral_from_dict(body, today=now.date()), current, now=now)
>>> [(h.service_id, h.from_node) for h in r.diff.start]
[('idva-cambridgeshire', 'victim-support-enhanced')]
>>> [(x.service_id, x.after) for x in r.diff.release]
[('victim-support-enhanced', ('idva-cambridgeshire',))]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from .build import PathwayGraph
from .eligibility import Context, check, context, needs_to_meet
from .model import (
    CurrentHandover,
    Diff,
    Explanation,
    Kept,
    Plan,
    PlannedHandover,
    Reassessment,
    Referral,
    Release,
)
from .plan import effective_capacity, local_date, make_plan
from .vocabulary import (
    OPEN_STATUSES,
    CapacityStatus,
    Check,
    HandoverStatus,
    Need,
    RiskLevel,
)

CONTACTED = frozenset({HandoverStatus.IN_PROGRESS, HandoverStatus.COMPLETED})
"""A service in one of these has made first contact with the victim."""


def reassess(
    graph: PathwayGraph,
    referral: Referral,
    current: Sequence[CurrentHandover],
    *,
    now: dt.datetime,
) -> Reassessment:
    """Re-plan for a changed assessment (or a declined or expired handover).

    ``referral`` carries the victim's facts and the new assessment; ``current`` every handover of
    the case so far. Returns the new plan and the diff to apply: handovers to ``start``,
    providers to ``keep``, providers to ``release`` (each with the services whose first contact
    it waits for).
    """
    plan = make_plan(graph, referral, now=now, current=current)
    ctx = context(referral, as_of=local_date(now))
    open_now = {h.service_id: h for h in current if h.status in OPEN_STATUSES}
    lead_before = next((h.service_id for h in current if h.lead and h.service_id in open_now), None)
    status_of = _current_status(current)

    if (
        plan.lead is None
        and lead_before is not None
        and ctx.risk_level is RiskLevel.HIGH
        and open_now[lead_before].status in (HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS)
    ):
        plan = _keep_acting_lead(plan, open_now[lead_before], graph, now)

    in_plan = {h.service_id: h for h in plan.handovers}
    start = tuple(h for h in plan.handovers if h.service_id not in open_now)
    keep = tuple(
        Kept(service_id=h.service_id, needs=h.needs, lead=h.lead)
        for h in plan.handovers
        if h.service_id in open_now
    )
    present = set(needs_to_meet(ctx))
    releases: list[Release] = []
    for sid in sorted(open_now):
        if sid in in_plan:
            continue
        h = open_now[sid]
        was_lead = sid == lead_before
        if h.status is HandoverStatus.PROPOSED:
            releases.append(
                Release(sid, "no longer in the plan; the handover had not been sent yet", ())
            )
            continue
        # It waits for whoever takes over its needs, for the new lead if it led, and for every
        # service it hands the victim over to: a warm handover keeps the sender responsible
        # until the receiver has made first contact.
        takers = {p.service_id for p in plan.handovers if set(p.needs) & set(h.needs)}
        takers |= {p.service_id for p in plan.handovers if p.from_node == sid}
        if was_lead and plan.lead is not None:
            takers.add(plan.lead)
        # A service started by this diff has not made first contact, whatever it did before.
        after = tuple(
            sorted(t for t in takers if t not in open_now or status_of[t] not in CONTACTED)
        )
        releases.append(
            Release(
                service_id=sid,
                reason=_release_reason(
                    graph=graph,
                    ctx=ctx,
                    sid=sid,
                    handover=h,
                    plan=plan,
                    present=present,
                    now=now,
                ),
                after=after,
                acting_lead=was_lead and bool(after),
            )
        )
    return Reassessment(
        plan=plan,
        diff=Diff(
            start=start,
            keep=keep,
            release=tuple(releases),
            lead_before=lead_before,
            lead_after=plan.lead,
        ),
    )


def _keep_acting_lead(
    plan: Plan, lead: CurrentHandover, graph: PathwayGraph, now: dt.datetime
) -> Plan:
    """Put the current lead back in a plan that found no lead, as acting lead."""
    service = graph.services.get(lead.service_id)
    name = service.name if service is not None else lead.service_id
    capacity, stale = (
        effective_capacity(service, now) if service is not None else (CapacityStatus.AMBER, True)
    )
    explanation = Explanation(
        role="lead",
        needs_met=(),
        specialist_for=(),
        passed=(),
        confirm=(),
        path=(lead.from_node, lead.service_id),
        capacity=capacity,
        capacity_stale=stale,
        continuity=True,
        alternatives=(),
        rejected=(),
        summary=f"{name} stays on as acting lead: the victim is at high risk and no other "
        "service can lead the case yet.",
    )
    acting = PlannedHandover(
        service_id=lead.service_id,
        from_node=lead.from_node,
        needs=(),
        mode=plan.mode,
        status=lead.status,
        lead=True,
        explanation=explanation,
    )
    return dataclasses.replace(plan, lead=lead.service_id, handovers=(acting, *plan.handovers))


def _release_reason(
    *,
    graph: PathwayGraph,
    ctx: Context,
    sid: str,
    handover: CurrentHandover,
    plan: Plan,
    present: set[Need],
    now: dt.datetime,
) -> str:
    service = graph.services.get(sid)
    if service is None:
        return "the service is no longer in the directory"
    gone = [n for n in handover.needs if n not in present]
    parts: list[str] = []
    if gone:
        parts.append("the victim no longer needs " + ", ".join(n.value for n in gone))
    if len(gone) < len(handover.needs) or not handover.needs:
        failed: list[Check] = list(check(service, ctx).failed)
        if effective_capacity(service, now)[0] is CapacityStatus.RED:
            failed.append(Check.CAPACITY)
        if sid in ctx.referral.victim.refused_services:
            failed.append(Check.REFUSED)
        if failed:
            parts.append("no longer fits the victim: failed " + ", ".join(c.value for c in failed))
    moved = {
        p.service_id: [n for n in p.needs if n in handover.needs]
        for p in plan.handovers
        if set(p.needs) & set(handover.needs)
    }
    for taker, needs in sorted(moved.items()):
        parts.append(f"{', '.join(n.value for n in needs)} now met by {taker}")
    return "; ".join(parts) or "no longer in the plan"


def _current_status(current: Sequence[CurrentHandover]) -> dict[str, HandoverStatus]:
    """Each service's status in the case now: its open handover's, else its latest one's.

    A service may appear more than once (completed earlier, requested again): only the open
    handover tells whether it has made first contact this time.
    """
    out: dict[str, HandoverStatus] = {}
    for h in current:
        if h.status in OPEN_STATUSES or out.get(h.service_id) not in OPEN_STATUSES:
            out[h.service_id] = h.status
    return out


def releases_due(current: Sequence[CurrentHandover]) -> tuple[str, ...]:
    """Services whose scheduled release may happen now: every service it waits for has made
    first contact (``in_progress`` or ``completed``)."""
    status_of = _current_status(current)
    return tuple(
        sorted(
            h.service_id
            for h in current
            if h.status in OPEN_STATUSES
            and h.release_after is not None
            and all(status_of.get(s) in CONTACTED for s in h.release_after)
        )
    )
