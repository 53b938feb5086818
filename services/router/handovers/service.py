"""Handovers: reading them, and their lifecycle (DESIGN.md §5).

Only the receiving provider may accept, decline, record first contact or complete; any other
provider gets 404 (it may not learn the handover exists). An illegal transition is a 409 that
names the current status. A decline or an expiry re-routes that part of the plan at once.
Every change happens with the referral's row locked, so concurrent actions on one case queue.
An accept also takes one of the service's places (``places_left``): with none left it needs an
explicit over-capacity decision; accepts for one service are decided one at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from graph import Capacity, InputError, reassess
from graph.plan import local_date
from graph.vocabulary import TRANSITIONS, HandoverStatus, Need, Outcome
from services.common.audit import service as audit
from services.common.auth.schemas import Principal, Role
from services.common.db import utcnow, writer
from services.common.errors import ForbiddenError, UnprocessableContentError
from services.common.pagination import Page, decode_cursor, page_of

from ..errors import HandoverNotFoundError, IllegalTransitionError, OverCapacityError
from ..flows import Case, current_case, graph_referral
from ..referrals import repository as referrals
from ..referrals.models import Referral
from ..snapshot.service import DirectoryView, NoDirectoryError
from . import repository
from .models import Handover
from .schemas import ExplanationPublic, HandoverDetail, HandoverPublic, Satisfaction

log = logging.getLogger("pathways.router.handovers")

LISTING = "handovers"
VERBS = {
    HandoverStatus.ACCEPTED: "accepted",
    HandoverStatus.DECLINED: "declined",
    HandoverStatus.IN_PROGRESS: "marked as in contact",
    HandoverStatus.COMPLETED: "completed",
}


def to_public(h: Handover) -> HandoverPublic:
    return HandoverPublic(
        id=h.id,
        referral_id=h.referral_id,
        service_id=h.service_id,
        service_name=h.service_name,
        provider_id=h.provider_id,
        from_=h.from_node,
        needs=h.needs,
        status=h.status,
        mode=h.mode,
        lead=h.lead,
        explanation=ExplanationPublic.model_validate(h.explanation),
        response_hours=h.response_hours,
        requested_at=h.requested_at,
        respond_by=h.respond_by,
        accepted_at=h.accepted_at,
        contacted_at=h.contacted_at,
        closed_at=h.closed_at,
        reason=h.reason,
        release_after=h.release_after,
        release_reason=h.release_reason,
        outcomes=h.outcomes,
        satisfaction=(
            None
            if h.satisfaction is None
            else Satisfaction(score=h.satisfaction, reason=h.satisfaction_reason)
        ),
    )


def shared_with_provider(
    h: Handover, referral: Referral, assessment: dict[str, Any]
) -> dict[str, Any] | None:
    """What travels with a warm handover so the victim need not retell their story; nothing
    for a signpost. Nothing either once the victim has withdrawn consent or said no to the
    service (services/router/choices). While the victim has paused contact, the contact
    preferences say ``do_not_contact`` until the pause's last day."""
    if h.mode != "warm":
        return None
    victim = referral.victim
    if not victim.get("consent_to_share") or h.service_id in (victim.get("refused_services") or ()):
        return None
    contact = victim.get("contact")
    if referral.paused and (
        referral.paused_until is None or referral.paused_until >= local_date(utcnow())
    ):
        own = bool((contact or {}).get("do_not_contact"))
        contact = {
            **(contact or {}),
            "do_not_contact": True,
            "do_not_contact_until": None
            if own or referral.paused_until is None
            else referral.paused_until.isoformat(),
        }
    return {
        "victim": {
            **{
                k: contact if k == "contact" else victim.get(k)
                for k in ("age", "area", "role", "sex", "contact", "language")
            },
            # So the first contact is one the victim can take part in (graph.payload).
            "interpreter": bool(victim.get("interpreter")),
            "access_needs": list(victim.get("access_needs") or ()),
        },
        "incident": referral.incident,
        "assessment": assessment,
        "risk_level": referral.risk_level,
        "marac": referral.marac,
        "source_reference": referral.source_reference,
    }


def _visible(*, handover: Handover | None, by: Principal) -> Handover:
    if handover is None:
        raise HandoverNotFoundError("There is no such handover")
    if by.role is Role.ADMIN or by.owns(handover.provider_id):
        return handover
    if by.role is Role.PROVIDER:
        raise HandoverNotFoundError("There is no such handover")
    raise ForbiddenError("Handovers are for the receiving provider and admins")


def read(*, session: Session, handover_id: str, by: Principal) -> HandoverDetail:
    h = _visible(handover=repository.get(session=session, handover_id=handover_id), by=by)
    referral = referrals.get(session=session, referral_id=h.referral_id)
    assert referral is not None
    assessment = referrals.latest_assessment(session=session, referral_id=referral.id).body
    shared = shared_with_provider(h, referral, assessment)
    if shared is not None:
        audit.record(
            session=session,
            by=by,
            action="read",
            entity_type="handover",
            entity_id=h.id,
            before=None,
            after={"referral_id": referral.id, "shared": sorted(shared)},
        )
    return HandoverDetail(**to_public(h).model_dump(), shared=shared)


def listing(
    *,
    session: Session,
    by: Principal,
    status: HandoverStatus | None,
    cursor: str | None,
    limit: int,
) -> Page[HandoverPublic]:
    if by.role not in (Role.ADMIN, Role.PROVIDER):
        raise ForbiddenError("Handovers are for providers and admins")
    after = decode_cursor(LISTING, cursor)
    rows = repository.page(
        session=session,
        provider_id=by.provider_id if by.role is Role.PROVIDER else None,
        status=status.value if status is not None else None,
        after=str(after) if after is not None else None,
        limit=limit,
    )
    return page_of(rows, limit=limit, listing=LISTING, key=lambda h: h.id, to_public=to_public)


# --------------------------------------------------------------------------- the lifecycle


def _load_case(
    *, session: Session, handover_id: str, by: Principal, now: dt.datetime
) -> tuple[Case, Handover]:
    h = repository.get(session=session, handover_id=handover_id)
    if h is None or not by.owns(h.provider_id):
        if h is not None and by.role is not Role.PROVIDER:
            raise ForbiddenError("Only the receiving provider may act on a handover")
        raise HandoverNotFoundError("There is no such handover")
    # Lock the referral: every change to one case happens one at a time. The handover was read
    # before the lock, and a query does not overwrite an object the session already holds:
    # expire it, so that the case is read afresh under the lock (else a change committed
    # meanwhile goes unseen, and e.g. an accepted handover is accepted again, or declined).
    referral = referrals.get(session=session, referral_id=h.referral_id, for_update=True)
    assert referral is not None
    session.expire(h)
    handovers = referrals.handovers(session=session, referral_id=referral.id)
    mine = next(x for x in handovers if x.id == h.id)
    return Case(
        session=session, referral=referral, handovers=handovers, now=now, actor=by.name
    ), mine


def _transition(h: Handover, target: HandoverStatus) -> None:
    current = HandoverStatus(h.status)
    if target not in TRANSITIONS[current]:
        raise IllegalTransitionError(
            f"The handover is {current.value}; it cannot be {VERBS[target]} now"
        )


def _audit(session: Session, by: Principal, h: Handover, before: str, **after: Any) -> None:
    audit.record(
        session=session,
        by=by,
        action=h.status,
        entity_type="handover",
        entity_id=h.id,
        before={"status": before},
        after={"status": h.status, **after},
    )


def accept(
    *,
    session: Session,
    handover_id: str,
    by: Principal,
    view: DirectoryView | None,
    over_capacity_reason: str | None = None,
    now: dt.datetime | None = None,
) -> HandoverPublic:
    """Accept, within the service's capacity (see ``places_left``): with no place left it is an
    ``OverCapacityError`` unless ``over_capacity_reason`` says why the service takes the victim
    on anyway, and then that decision is written to the timeline and the audit log."""
    now = now or utcnow()
    capacity = _capacity_in_directory(view)  # before any lock: it may ask the directory
    case, h = _load_case(session=session, handover_id=handover_id, by=by, now=now)
    _transition(h, HandoverStatus.ACCEPTED)
    over = _over_capacity(session, capacity, h, reason=over_capacity_reason)
    before = h.status
    case.move(h, HandoverStatus.ACCEPTED)
    case.note("handover.accepted", f"{h.service_name} accepted the handover.", h)
    if over is not None:
        case.note(
            "handover.over_capacity",
            f"{h.service_name} took the victim on above its confirmed capacity "
            f"({over['available']} places, {over['taken']} already taken): {over['reason']}",
            h,
        )
    case.settle()
    if over is not None:
        _audit(session, by, h, before, over_capacity=over)
    else:
        _audit(session, by, h, before)
    return to_public(h)


CapacityLookup = Callable[[str], Capacity | None]


def _capacity_in_directory(view: DirectoryView | None) -> CapacityLookup:
    """Each service's capacity in the current directory snapshot (the last good one while the
    directory is down); unknown (no limit) without any snapshot or for a service it lacks."""
    if view is None:
        return lambda _service_id: None
    try:
        services = view.current().graph.services
    except NoDirectoryError:
        log.warning("accepting without a capacity check: the router has no directory snapshot")
        return lambda _service_id: None
    return lambda service_id: s.capacity if (s := services.get(service_id)) else None


def places_left(session: Session, capacity: Capacity, service_id: str) -> int | None:
    """``available`` as the provider last confirmed it, less the places taken since then
    (handovers accepted after ``updated`` and still accepted or in progress); None (no limit)
    when the directory gives no figure."""
    if capacity.available is None:
        return None
    taken = repository.places_taken(session=session, service_id=service_id, since=capacity.updated)
    return capacity.available - taken


def _over_capacity(
    session: Session, capacity_of: CapacityLookup, h: Handover, *, reason: str | None
) -> dict[str, Any] | None:
    """None while a place is left; the recorded decision when the provider accepts above
    capacity with a reason; ``OverCapacityError`` otherwise. Holds the service's lock until
    the transaction ends, so concurrent accepts are counted one after another."""
    capacity = capacity_of(h.service_id)
    if capacity is None or capacity.available is None:
        return None
    repository.lock_service(session=session, service_id=h.service_id)
    left = places_left(session, capacity, h.service_id)
    if left is None or left > 0:
        return None
    taken = capacity.available - left
    confirmed = (
        f"confirmed {capacity.updated:%d %B %Y %H:%M} UTC" if capacity.updated else "unconfirmed"
    )
    if reason is None:
        raise OverCapacityError(
            f"{h.service_name} has no places left: the directory gives {capacity.available} "
            f"({confirmed}) and {taken} handovers have been accepted since. Decline it, or "
            'accept it anyway with {"over_capacity_reason": "…"} saying why'
        )
    return {
        "reason": reason,
        "available": capacity.available,
        "taken": taken,
        "capacity_updated": capacity.updated.isoformat() if capacity.updated else None,
    }


def contact(
    *, session: Session, handover_id: str, by: Principal, now: dt.datetime | None = None
) -> HandoverPublic:
    now = now or utcnow()
    case, h = _load_case(session=session, handover_id=handover_id, by=by, now=now)
    _transition(h, HandoverStatus.IN_PROGRESS)
    before = h.status
    case.move(h, HandoverStatus.IN_PROGRESS)
    case.note("handover.in_progress", f"{h.service_name} made first contact with the victim.", h)
    case.settle()
    _audit(session, by, h, before)
    return to_public(h)


def complete(
    *,
    session: Session,
    handover_id: str,
    by: Principal,
    outcomes: dict[Need, Outcome],
    satisfaction: Satisfaction | None = None,
    now: dt.datetime | None = None,
) -> HandoverPublic:
    """``completed``, with the outcome for each need met and, when the victim answered, their
    satisfaction on the common 1–5 scale."""
    now = now or utcnow()
    case, h = _load_case(session=session, handover_id=handover_id, by=by, now=now)
    _transition(h, HandoverStatus.COMPLETED)
    unknown = sorted(n.value for n in outcomes if n.value not in h.needs)
    if unknown:
        raise UnprocessableContentError.at(
            ["body", "outcomes", unknown[0]],
            f"this handover did not meet {unknown[0]}; it met: {', '.join(h.needs) or 'none'}",
        )
    before = h.status
    case.move(h, HandoverStatus.COMPLETED)
    h.outcomes = {n.value: o.value for n, o in outcomes.items()}
    if satisfaction is not None:
        h.satisfaction = satisfaction.score
        h.satisfaction_reason = satisfaction.reason
    words = "; ".join(f"{n.value.replace('_', ' ')}: {o.value}" for n, o in outcomes.items())
    if satisfaction is not None:
        words = "; ".join(filter(None, [words, f"satisfaction {satisfaction.score} of 5"]))
    case.note(
        "handover.completed",
        f"{h.service_name} completed its support" + (f" ({words})." if words else "."),
        h,
    )
    case.settle()
    case.close_if_done()
    _audit(session, by, h, before, outcomes=h.outcomes, satisfaction=h.satisfaction)
    return to_public(h)


def decline(
    *,
    session: Session,
    handover_id: str,
    by: Principal,
    reason: str,
    view: DirectoryView,
    now: dt.datetime | None = None,
) -> HandoverPublic:
    now = now or utcnow()
    case, h = _load_case(session=session, handover_id=handover_id, by=by, now=now)
    _transition(h, HandoverStatus.DECLINED)
    before = h.status
    case.move(h, HandoverStatus.DECLINED, reason=reason)
    case.note("handover.declined", f"{h.service_name} declined: {reason}", h)
    reroute(case=case, view=view, why=f"{h.service_name} declined")
    _audit(session, by, h, before, reason=reason)
    return to_public(h)


def reroute(*, case: Case, view: DirectoryView, why: str) -> None:
    """Re-plan the case after a decline or an expiry: the next best service, or a visible
    unmet need."""
    session = case.session
    assessment = referrals.latest_assessment(session=session, referral_id=case.referral.id).body
    try:
        referral = graph_referral(case.referral, assessment, now=case.now)
    except InputError as exc:  # pragma: no cover - it was valid when stored
        log.error("cannot re-plan referral %s: %s", case.referral.id, exc)
        return
    use = view.current()
    result = reassess(use.graph, referral, current_case(case.handovers), now=case.now)
    started = case.apply(result, use.graph)
    if started:
        names = ", ".join(h.service_name for h in started)
        case.note("referral.rerouted", f"Re-routed ({why}): {names} now in the plan.")
    elif result.plan.unmet:
        case.note("referral.rerouted", f"Re-routed ({why}): no other service fits.")
    case.close_if_done()


def expire_overdue(
    *, engine: Engine, view: DirectoryView, now: dt.datetime | None = None, limit: int = 100
) -> int:
    """The background sweep: expire requested handovers nobody answered in time (the
    service's ``response_hours``) and re-route them. Returns how many expired."""
    now = now or utcnow()
    with Session(engine) as session:
        due = [
            (h.id, h.referral_id) for h in repository.overdue(session=session, now=now, limit=limit)
        ]
    expired = 0
    for handover_id, referral_id in due:
        with Session(writer(engine), expire_on_commit=False) as session:
            referral = referrals.get(session=session, referral_id=referral_id, for_update=True)
            if referral is None:  # pragma: no cover
                continue
            handovers = referrals.handovers(session=session, referral_id=referral_id)
            h = next((x for x in handovers if x.id == handover_id), None)
            if h is None or h.status != "requested" or h.respond_by is None or h.respond_by >= now:
                continue  # answered meanwhile
            case = Case(
                session=session,
                referral=referral,
                handovers=handovers,
                now=now,
                actor="pathways (expiry sweep)",
            )
            case.move(
                h, HandoverStatus.EXPIRED, reason=f"no answer within {h.response_hours} hours"
            )
            case.publish("handover.expired", h)
            case.note(
                "handover.expired",
                f"{h.service_name} did not answer within {h.response_hours} hours.",
                h,
            )
            try:
                reroute(case=case, view=view, why=f"{h.service_name} did not answer")
            except Exception:
                session.rollback()
                log.exception("could not expire handover %s", handover_id)
                continue
            audit.record(
                session=session,
                by=Principal(name="expiry-sweep", role=Role.ADMIN),
                action="expired",
                entity_type="handover",
                entity_id=h.id,
                before={"status": "requested"},
                after={"status": "expired"},
            )
            session.commit()
            expired += 1
    return expired
