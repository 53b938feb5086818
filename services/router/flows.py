"""Applying plans to the case: the orchestration between graph/ and the router's tables.

graph/ decides (plans, diffs, which releases are due); this module carries the decisions out
on the rows of one referral, inside the caller's transaction: handovers requested, kept,
released, the lead handed on, webhooks queued in the outbox and the timeline written in plain
words. It never commits.

The case rules it keeps:

- A handover is ``requested`` (sent, with a webhook and a response deadline) when its sender is
  the entry node or a provider that has accepted; until then it is ``proposed``.
- A scheduled release happens once every service it waits for has made first contact.
- The planned lead takes over the case (``lead``) once it makes first contact, or at once when
  nobody holds the case; until then the old lead stays responsible.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from graph import (
    CurrentHandover,
    PathwayGraph,
    Plan,
    PlannedHandover,
    Reassessment,
    referral_from_dict,
    releases_due,
)
from graph import (
    Referral as GraphReferral,
)
from graph.codec import explanation_to_dict, implied_to_dict, unmet_to_dict
from graph.plan import local_date
from graph.vocabulary import ENTRY_NODES, OPEN_STATUSES, HandoverStatus, Need

from .handovers.models import Handover
from .outbox.service import enqueue
from .referrals.models import Referral, TimelineEvent

ACTIVE = frozenset({HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS})
OPEN = frozenset(s.value for s in OPEN_STATUSES)


def is_open(h: Handover) -> bool:
    return h.status in OPEN


def graph_referral(row: Referral, assessment: dict[str, Any], *, now: dt.datetime) -> GraphReferral:
    """The referral as graph/ reads it, from what is stored and the given assessment."""
    source: dict[str, Any] = {"kind": row.source_kind}
    if row.source_reference is not None:
        source["reference"] = row.source_reference
    body = {
        "source": source,
        "victim": row.victim,
        "incident": row.incident,
        "assessment": assessment,
    }
    return referral_from_dict(body, today=local_date(now))


def current_case(handovers: Sequence[Handover]) -> list[CurrentHandover]:
    return [
        CurrentHandover(
            service_id=h.service_id,
            from_node=h.from_node,
            needs=tuple(Need(n) for n in h.needs),
            status=HandoverStatus(h.status),
            lead=h.lead,
            release_after=tuple(h.release_after) if h.release_after is not None else None,
        )
        for h in handovers
    ]


def note(
    *,
    session: Session,
    referral: Referral,
    kind: str,
    text: str,
    now: dt.datetime,
    actor: str,
    handover: Handover | None = None,
) -> None:
    """Write one timeline event, in plain words."""
    session.add(
        TimelineEvent(
            referral_id=referral.id,
            handover_id=handover.id if handover is not None else None,
            occurred_at=now,
            kind=kind,
            actor=actor,
            text=text,
        )
    )


def webhook_data(h: Handover) -> dict[str, Any]:
    """What a provider's system is told: ids, status and what it needs to act. Nothing
    personal: the provider fetches the details with its key (and that read is audited)."""
    return {
        "handover_id": h.id,
        "referral_id": h.referral_id,
        "service_id": h.service_id,
        "status": h.status,
        "mode": h.mode,
        "needs": list(h.needs),
        "respond_by": h.respond_by.isoformat() if h.respond_by else None,
    }


def _sender_name(node: str, graph: PathwayGraph | None, handovers: Sequence[Handover]) -> str:
    if node == "entry:police":
        return "the referrer"
    if node == "entry:self":
        return "the victim (self-referral)"
    for h in handovers:
        if h.service_id == node:
            return h.service_name
    if graph is not None and node in graph.services:
        return graph.services[node].name
    return node


class Case:
    """One referral and its handovers, loaded for a change."""

    def __init__(
        self,
        *,
        session: Session,
        referral: Referral,
        handovers: list[Handover],
        now: dt.datetime,
        actor: str,
    ) -> None:
        self.session = session
        self.referral = referral
        self.handovers = handovers
        self.now = now
        self.actor = actor

    # ----------------------------------------------------------------- lookups

    def open_handover(self, service_id: str | None) -> Handover | None:
        if service_id is None:
            return None
        for h in self.handovers:
            if h.service_id == service_id and is_open(h):
                return h
        return None

    def close_if_done(self) -> None:
        """Close the referral once every handover has ended and one was completed."""
        if (
            self.referral.status == "open"
            and not any(is_open(h) for h in self.handovers)
            and any(h.status == HandoverStatus.COMPLETED for h in self.handovers)
        ):
            self.referral.status = "closed"
            self.session.add(self.referral)
            self.note("referral.closed", "All support has ended; the referral is closed.")

    def note(self, kind: str, text: str, handover: Handover | None = None) -> None:
        note(
            session=self.session,
            referral=self.referral,
            kind=kind,
            text=text,
            now=self.now,
            actor=self.actor,
            handover=handover,
        )

    # ----------------------------------------------------------------- changes

    def add(self, planned: PlannedHandover, graph: PathwayGraph) -> Handover:
        service = graph.services[planned.service_id]
        h = Handover(
            id=str(uuid.uuid4()),
            referral_id=self.referral.id,
            seq=len(self.handovers),
            service_id=service.id,
            provider_id=service.provider_id,
            service_name=service.name,
            from_node=planned.from_node,
            needs=[n.value for n in planned.needs],
            mode=planned.mode.value,
            status=HandoverStatus.PROPOSED.value,
            lead=False,
            explanation=explanation_to_dict(planned.explanation),
            response_hours=service.response_hours,
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(h)
        self.handovers.append(h)
        needs = ", ".join(n.value.replace("_", " ") for n in planned.needs) or "passing on"
        self.note(
            "handover.planned",
            f"{service.name} is in the plan ({needs}), to be handed over by "
            f"{_sender_name(planned.from_node, graph, self.handovers)}.",
            h,
        )
        return h

    def move(self, h: Handover, status: HandoverStatus, *, reason: str | None = None) -> None:
        h.status = status.value
        h.updated_at = self.now
        if reason is not None:
            h.reason = reason
        if status is HandoverStatus.REQUESTED:
            h.requested_at = self.now
            h.respond_by = self.now + dt.timedelta(hours=h.response_hours)
        elif status is HandoverStatus.ACCEPTED:
            h.accepted_at = self.now
        elif status is HandoverStatus.IN_PROGRESS:
            h.contacted_at = self.now
        if status.value not in OPEN:
            h.closed_at = self.now
            h.lead = False
            h.release_after = None
        self.session.add(h)

    def request(self, h: Handover) -> None:
        self.move(h, HandoverStatus.REQUESTED)
        self.publish("handover.requested", h)
        what = (
            "was told the victim may contact them (a signpost: no details were shared)"
            if h.mode == "signpost"
            else "was asked to take the victim on"
        )
        due = f"; an answer is due by {h.respond_by:%d %B %Y %H:%M} UTC" if h.respond_by else ""
        self.note("handover.requested", f"{h.service_name} {what}{due}.", h)

    def cancel(self, h: Handover, reason: str) -> None:
        self.move(h, HandoverStatus.CANCELLED, reason=reason)
        self.publish("handover.cancelled", h, reason=reason)
        self.note("handover.cancelled", f"{h.service_name} was released: {reason}.", h)

    def publish(self, type: str, h: Handover, **extra: Any) -> None:
        if h.service_id in (self.referral.victim.get("refused_services") or ()):
            # The victim said no to this service: it is told nothing about them again, whatever
            # path would send it (services/router/choices cancels its handover just before).
            return
        enqueue(
            session=self.session,
            type=type,
            service_id=h.service_id,
            provider_id=h.provider_id,
            data={**webhook_data(h), **extra},
            now=self.now,
            referral_id=h.referral_id,
            handover_id=h.id,
        )

    # ----------------------------------------------------------------- plans

    def record_plan(self, plan: Plan) -> None:
        r = self.referral
        r.lead_service_id = plan.lead
        r.directory_version = plan.directory_version
        r.entry = plan.entry
        r.mode = plan.mode.value
        r.unmet = [unmet_to_dict(u) for u in plan.unmet]
        r.implied_needs = [implied_to_dict(i) for i in plan.implied]
        r.updated_at = self.now
        self.session.add(r)
        for u in plan.unmet:
            self.note(
                "need.unmet",
                f"No service can meet {u.need.value.replace('_', ' ')} now; "
                "it is recorded as an unmet need for commissioners.",
            )

    def start(self, plan: Plan, graph: PathwayGraph) -> None:
        """Carry out a first plan."""
        self.record_plan(plan)
        for planned in plan.handovers:
            h = self.add(planned, graph)
            h.lead = planned.lead
        self.settle()

    def apply(self, result: Reassessment, graph: PathwayGraph) -> list[Handover]:
        """Carry out a reassessment's diff; returns the handovers it started."""
        plan, diff = result.plan, result.diff
        self.record_plan(plan)
        by_service = {p.service_id: p for p in plan.handovers}
        started = [self.add(planned, graph) for planned in diff.start]
        for kept in diff.keep:
            h = self.open_handover(kept.service_id)
            if h is None:  # pragma: no cover - graph keeps only open handovers
                continue
            h.needs = [n.value for n in kept.needs]
            h.explanation = explanation_to_dict(by_service[kept.service_id].explanation)
            if h.release_after is not None:
                h.release_after = None
                h.release_reason = None
                self.note("release.withdrawn", f"{h.service_name} stays: it is needed again.", h)
            h.updated_at = self.now
            self.session.add(h)
        for release in diff.release:
            h = self.open_handover(release.service_id)
            if h is None:  # pragma: no cover
                continue
            if not release.after:
                self.cancel(h, release.reason)
                continue
            h.release_after = list(release.after)
            h.release_reason = release.reason
            h.updated_at = self.now
            self.session.add(h)
            waiting = ", ".join(_sender_name(s, graph, self.handovers) for s in release.after)
            self.note(
                "release.scheduled",
                f"{h.service_name} stays responsible until {waiting} "
                f"{'has' if len(release.after) == 1 else 'have'} made first contact "
                f"({release.reason}).",
                h,
            )
        if diff.lead_after != diff.lead_before and diff.lead_after is not None:
            new = _sender_name(diff.lead_after, graph, self.handovers)
            self.note("lead.planned", f"{new} is to lead the case.")
        self.settle()
        return started

    def settle(self) -> None:
        """Do what the case's state now allows: due releases, the lead's handover, and sending
        proposed handovers whose sender has taken the victim on. Repeats until nothing moves."""
        moved = True
        while moved:
            moved = False
            for sid in releases_due(current_case(self.handovers)):
                h = self.open_handover(sid)
                if h is not None and h.release_after is not None:
                    self.cancel(h, h.release_reason or "no longer needed")
                    moved = True
            holder = next((h for h in self.handovers if h.lead and is_open(h)), None)
            planned = self.open_handover(self.referral.lead_service_id)
            if (
                planned is not None
                and planned is not holder
                and (holder is None or planned.status == HandoverStatus.IN_PROGRESS.value)
            ):
                if holder is not None:
                    holder.lead = False
                    self.session.add(holder)
                planned.lead = True
                self.session.add(planned)
                self.note("lead.changed", f"{planned.service_name} now leads the case.", planned)
                moved = True
            for h in list(self.handovers):
                if h.status != HandoverStatus.PROPOSED.value:
                    continue
                if h.from_node in ENTRY_NODES:
                    self.request(h)
                    moved = True
                    continue
                sender = self.open_handover(h.from_node)
                if sender is not None and sender.status in {s.value for s in ACTIVE}:
                    self.request(h)
                    moved = True
                elif sender is None:
                    # The sender is no longer involved: the referrer hands over directly.
                    h.from_node = self.referral.entry
                    self.note(
                        "handover.resent",
                        f"{h.service_name} was to be handed over by a service no longer "
                        "involved; it is requested directly instead.",
                        h,
                    )
                    self.request(h)
                    moved = True
        self.referral.updated_at = self.now
        self.session.add(self.referral)
