"""The victim's choices, recorded on their word by the referrer that made the referral, the
lead provider or an admin (the rule of ``referrals.service.may_act_on``).

- **Refusing a service** (or withdrawing from it) adds it to ``victim.refused_services``,
  cancels its open handover at once (the victim's choice overrides the warm-release rule), tells
  that provider once (``handover.cancelled``; not at all if the handover was only proposed, so
  never sent) and never again (``flows.Case.publish`` skips refused services), then re-makes
  the plan from the latest assessment. If the service led the case of a victim at high risk,
  the timeline says so and the re-plan picks a new lead; when none can lead, the referrer stays
  responsible, the timeline says so and the response flags it (``without_lead``). Refusing it
  again changes nothing.
- **Pausing contact** is stored on the referral; providers with an open warm handover are told
  (``referral.paused`` / ``referral.resumed``) and the details shared with them say
  ``do_not_contact`` until the pause's last day. Handovers are not cancelled, and a pause with a
  last day simply lapses after it (nobody is told again: they were told the date).
- **Contact preferences** replace ``victim.contact``; providers with an open warm handover are
  told (``referral.contact_changed``) and read the new ones with their key (an audited read).
- **Withdrawing consent** makes every handover a signpost, open or closed (``mode`` says what may
  be shared now; the timeline keeps what was shared before), so no provider can read the
  victim's details any more. Every provider that was sent a warm handover is told to stop using
  and delete them (``referral.consent_withdrawn``), each told in the audit log. Handovers already
  accepted or in progress stay, as signposts: the victim may still contact them. Every later
  handover is a signpost (the plan reads the consent). Giving consent again is not offered: a
  new referral with consent shares the details afresh.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from graph import InputError, reassess
from graph.plan import local_date
from graph.vocabulary import HandoverStatus
from services.common.audit import service as audit
from services.common.auth.schemas import Principal
from services.common.db import utcnow
from services.common.errors import UnprocessableContentError

from ..errors import NotTheLeadError, ReferralClosedError
from ..flows import Case, current_case, graph_referral, is_open
from ..handovers.models import Handover
from ..handovers.service import to_public as handover_public
from ..referrals.schemas import ContactIn, DiffPublic, Kept, Released
from ..referrals.service import as_seen_by, input_error, may_act_on, to_public
from ..snapshot.service import DirectoryUse, DirectoryView
from . import repository
from .models import REFUSED_REASON, Referral
from .schemas import (
    ChoiceKind,
    ChoiceMade,
    ChoiceOutcome,
    ConsentWithdrawalIn,
    PauseIn,
    PausePublic,
    RefusalIn,
    Told,
)

SENT = frozenset(
    s.value for s in (HandoverStatus.REQUESTED, HandoverStatus.ACCEPTED, HandoverStatus.IN_PROGRESS)
)
"""A handover in one of these has been sent to its provider, which may hold the details."""


# --------------------------------------------------------------------------- common


def _load(*, session: Session, referral_id: str, by: Principal, now: dt.datetime) -> Case:
    try:
        row = may_act_on(
            session=session,
            referral=repository.get_for_update(session=session, referral_id=referral_id),
            by=by,
        )
    except NotTheLeadError:
        raise NotTheLeadError(
            "Only the referrer that made the referral, the lead provider or an admin may "
            "record the victim's choices"
        ) from None
    if row.status != "open":
        raise ReferralClosedError("The referral is closed; the victim's choices no longer apply")
    handovers = repository.handovers(session=session, referral_id=row.id)
    return Case(session=session, referral=row, handovers=handovers, now=now, actor=by.name)


def pause_in_effect(referral: Referral, today: dt.date) -> bool:
    return referral.paused and (referral.paused_until is None or referral.paused_until >= today)


def _pause(referral: Referral, now: dt.datetime) -> PausePublic:
    if not pause_in_effect(referral, local_date(now)):
        return PausePublic(paused=False, until=None, reason=None, since=None, by=None)
    return PausePublic(
        paused=True,
        until=referral.paused_until,
        reason=referral.pause_reason,
        since=referral.paused_at,
        by=referral.paused_by,
    )


def _refused(referral: Referral) -> list[str]:
    return list(referral.victim.get("refused_services") or ())


def _warm_and_sent(case: Case) -> list[Handover]:
    """Open warm handovers their providers have been sent (a proposed one has heard nothing)."""
    refused = set(_refused(case.referral))
    return [
        h
        for h in case.handovers
        if is_open(h) and h.mode == "warm" and h.status in SENT and h.service_id not in refused
    ]


def _tell(case: Case, type_: str, handovers: list[Handover], **extra: Any) -> list[Told]:
    told: list[Told] = []
    for h in handovers:
        case.publish(type_, h, **extra)
        told.append(
            Told(type=type_, handover_id=h.id, service_id=h.service_id, provider_id=h.provider_id)
        )
    return told


def _choice(
    kind: ChoiceKind,
    *,
    by: Principal,
    now: dt.datetime,
    reason: str | None,
    changed: bool,
    service_id: str | None = None,
) -> ChoiceMade:
    return ChoiceMade(
        kind=kind,
        service_id=service_id,
        reason=reason,
        said_by=by.name,
        said_by_role=by.role,
        said_at=now,
        changed=changed,
    )


def _outcome(
    *,
    session: Session,
    case: Case,
    by: Principal,
    choice: ChoiceMade,
    told: list[Told],
    directory: DirectoryUse | None = None,
    diff: DiffPublic | None = None,
    without_lead: bool = False,
    warnings: list[str] | None = None,
) -> ChoiceOutcome:
    row = case.referral
    assessment = repository.latest_assessment(session=session, referral_id=row.id)
    if not choice.changed:
        # Nothing changed, but the answer shows the victim's details: that is a read.
        audit.record(
            session=session,
            by=by,
            action="read",
            entity_type="referral",
            entity_id=row.id,
            before=None,
            after={"via": f"choice:{choice.kind}"},
        )
    session.flush()
    public = to_public(
        session=session,
        referral=row,
        handovers=case.handovers,
        assessment=assessment,
        directory=directory,
    )
    return ChoiceOutcome(
        referral=as_seen_by(
            by, public, referral=row, handovers=case.handovers, assessment=assessment
        ),
        choice=choice,
        pause=_pause(row, case.now),
        told=told,
        diff=diff,
        without_lead=without_lead,
        warnings=warnings or [],
    )


def _name(case: Case, service_id: str, use: DirectoryUse) -> str:
    for h in case.handovers:
        if h.service_id == service_id:
            return h.service_name
    service = use.graph.services.get(service_id)
    return service.name if service is not None else service_id


# --------------------------------------------------------------------------- refusals


def refuse_service(
    *,
    session: Session,
    referral_id: str,
    body: RefusalIn,
    by: Principal,
    view: DirectoryView,
    now: dt.datetime | None = None,
) -> ChoiceOutcome:
    """The victim says no to a service: cancelled at once, never told anything again, and the
    plan re-made without it. ``choice.changed`` is False when it was already refused."""
    now = now or utcnow()
    case = _load(session=session, referral_id=referral_id, by=by, now=now)
    row = case.referral
    sid = body.service_id
    refused = _refused(row)
    if sid in refused:
        choice = _choice(
            "refusal", by=by, now=now, reason=body.reason, changed=False, service_id=sid
        )
        return _outcome(session=session, case=case, by=by, choice=choice, told=[])
    use = view.current()
    if sid not in use.graph.services and all(h.service_id != sid for h in case.handovers):
        raise UnprocessableContentError.at(
            ["body", "service_id"],
            f"there is no service {sid!r} in the directory or in this referral's plan",
        )
    name = _name(case, sid, use)
    high = row.risk_level == "high"
    acting_before = next((h.service_id for h in case.handovers if h.lead and is_open(h)), None)
    h = case.open_handover(sid)
    was_lead = h is not None and (h.lead or sid == row.lead_service_id)
    case.note(
        "victim.refused",
        f"The victim said no to {name}"
        + (f" ({body.reason})" if body.reason else "")
        + f"; recorded by {by.name}. {name} will not be asked or told anything more about "
        "this referral.",
        h,
    )
    told: list[Told] = []
    if h is not None:
        if was_lead and high:
            case.note(
                "lead.refused",
                f"{name} led the case of a victim at high risk. The victim's choice comes first: "
                f"{name} is released at once, and the plan looks for a new lead.",
                h,
            )
        if h.status in SENT:
            # Before the refusal is stored: the cancellation is the last thing the provider
            # hears (``Case.publish`` tells a refused service nothing).
            case.cancel(h, REFUSED_REASON)
            told.append(
                Told(
                    type="handover.cancelled",
                    handover_id=h.id,
                    service_id=h.service_id,
                    provider_id=h.provider_id,
                )
            )
    row.victim = {**row.victim, "refused_services": [*refused, sid]}
    if h is not None and h.status == HandoverStatus.PROPOSED.value:
        # Never sent: the provider has not heard of the victim, and is not told now.
        case.cancel(h, REFUSED_REASON)
    assessment = repository.latest_assessment(session=session, referral_id=row.id)
    try:
        referral = graph_referral(row, assessment, now=now)
    except InputError as exc:  # pragma: no cover - it was valid when stored
        raise input_error(exc, prefix="body") from None
    result = reassess(use.graph, referral, current_case(case.handovers), now=now)
    started = case.apply(result, use.graph)
    if started:
        names = ", ".join(x.service_name for x in started)
        case.note("referral.rerouted", f"Re-planned without {name}: {names} now in the plan.")
    elif result.plan.unmet:
        case.note("referral.rerouted", f"Re-planned without {name}: no other service fits.")
    warnings: list[str] = []
    without_lead = high and not any(x.lead and is_open(x) for x in case.handovers)
    if without_lead:
        text = (
            "No service can lead the case of this victim at high risk now: the referrer "
            f"({row.referrer}) stays responsible and should reassess or find support directly."
        )
        case.note("lead.missing", text)
        warnings.append(text)
    case.close_if_done()
    audit.record(
        session=session,
        by=by,
        action="refuse_service",
        entity_type="referral",
        entity_id=row.id,
        before={"refused_services": refused},
        after={
            "refused_services": [*refused, sid],
            "reason": body.reason,
            "cancelled": h.id if h is not None else None,
            "started": [x.service_id for x in started],
            "released": [r.service_id for r in result.diff.release],
            "without_lead": without_lead,
        },
    )
    diff = result.diff
    released = [
        Released(
            service_id=r.service_id, reason=r.reason, after=list(r.after), acting_lead=r.acting_lead
        )
        for r in diff.release
    ]
    if h is not None:
        released.insert(
            0,
            Released(service_id=sid, reason=REFUSED_REASON, after=[], acting_lead=was_lead),
        )
    choice = _choice("refusal", by=by, now=now, reason=body.reason, changed=True, service_id=sid)
    return _outcome(
        session=session,
        case=case,
        by=by,
        choice=choice,
        told=told,
        directory=use,
        diff=DiffPublic(
            start=[handover_public(x) for x in started],
            keep=[
                Kept(service_id=k.service_id, needs=list(k.needs), lead=k.lead) for k in diff.keep
            ],
            release=released,
            lead_before=acting_before,
            lead_after=diff.lead_after,
        ),
        without_lead=without_lead,
        warnings=warnings,
    )


# --------------------------------------------------------------------------- pauses


def _until_words(until: dt.date | None) -> str:
    return f"until {until:%d %B %Y}" if until is not None else "until they say otherwise"


def pause(
    *,
    session: Session,
    referral_id: str,
    body: PauseIn,
    by: Principal,
    now: dt.datetime | None = None,
) -> ChoiceOutcome:
    """Nobody is to contact the victim until ``until`` (inclusive), or until resumed."""
    now = now or utcnow()
    if body.until is not None and body.until < local_date(now):
        raise UnprocessableContentError.at(["body", "until"], "must be today or later")
    case = _load(session=session, referral_id=referral_id, by=by, now=now)
    row = case.referral
    before = {
        "paused": pause_in_effect(row, local_date(now)),
        "until": row.paused_until,
        "reason": row.pause_reason,
    }
    after = {"paused": True, "until": body.until, "reason": body.reason}
    if before == after:
        choice = _choice("pause", by=by, now=now, reason=body.reason, changed=False)
        return _outcome(session=session, case=case, by=by, choice=choice, told=[])
    row.paused = True
    row.paused_until = body.until
    row.pause_reason = body.reason
    row.paused_at = now
    row.paused_by = by.name
    row.updated_at = now
    session.add(row)
    case.note(
        "contact.paused",
        f"The victim asked that nobody contact them {_until_words(body.until)} "
        f"({body.reason}); recorded by {by.name}. The support stays in place.",
    )
    told = _tell(
        case,
        "referral.paused",
        _warm_and_sent(case),
        paused_until=body.until.isoformat() if body.until is not None else None,
    )
    audit.record(
        session=session,
        by=by,
        action="pause_contact",
        entity_type="referral",
        entity_id=row.id,
        before={k: v.isoformat() if isinstance(v, dt.date) else v for k, v in before.items()},
        after={k: v.isoformat() if isinstance(v, dt.date) else v for k, v in after.items()},
    )
    choice = _choice("pause", by=by, now=now, reason=body.reason, changed=True)
    return _outcome(session=session, case=case, by=by, choice=choice, told=told)


def resume(
    *, session: Session, referral_id: str, by: Principal, now: dt.datetime | None = None
) -> ChoiceOutcome:
    """Contact may resume; nothing changes when there is no pause."""
    now = now or utcnow()
    case = _load(session=session, referral_id=referral_id, by=by, now=now)
    row = case.referral
    if not row.paused:
        choice = _choice("resume", by=by, now=now, reason=None, changed=False)
        return _outcome(session=session, case=case, by=by, choice=choice, told=[])
    before = {
        "paused": True,
        "until": row.paused_until.isoformat() if row.paused_until else None,
        "reason": row.pause_reason,
    }
    row.paused = False
    row.paused_until = None
    row.pause_reason = None
    row.paused_at = None
    row.paused_by = None
    row.updated_at = now
    session.add(row)
    case.note(
        "contact.resumed", f"The victim is happy to be contacted again; recorded by {by.name}."
    )
    told = _tell(case, "referral.resumed", _warm_and_sent(case))
    audit.record(
        session=session,
        by=by,
        action="resume_contact",
        entity_type="referral",
        entity_id=row.id,
        before=before,
        after={"paused": False, "until": None, "reason": None},
    )
    choice = _choice("resume", by=by, now=now, reason=None, changed=True)
    return _outcome(session=session, case=case, by=by, choice=choice, told=told)


# --------------------------------------------------------------------------- contact


def _contact_words(contact: dict[str, Any]) -> str:
    parts: list[str] = []
    channels = [str(c).replace("_", " ") for c in contact.get("channels") or ()]
    parts.append("by " + ", ".join(channels) if channels else "no channel given")
    if contact.get("safe_times"):
        parts.append(f"safe times: {contact['safe_times']}")
    if contact.get("do_not_contact"):
        parts.append("do not contact")
    return "; ".join(parts)


def change_contact(
    *,
    session: Session,
    referral_id: str,
    body: ContactIn,
    by: Principal,
    now: dt.datetime | None = None,
) -> ChoiceOutcome:
    """Replace the victim's contact preferences."""
    now = now or utcnow()
    case = _load(session=session, referral_id=referral_id, by=by, now=now)
    row = case.referral
    old = row.victim.get("contact")
    new = body.model_dump(mode="json", exclude_none=True)
    if old == new:
        choice = _choice("contact", by=by, now=now, reason=None, changed=False)
        return _outcome(session=session, case=case, by=by, choice=choice, told=[])
    row.victim = {**row.victim, "contact": new}
    row.updated_at = now
    session.add(row)
    case.note(
        "contact.changed",
        f"The victim changed how they want to be contacted ({_contact_words(new)}); "
        f"recorded by {by.name}.",
    )
    told = _tell(case, "referral.contact_changed", _warm_and_sent(case))
    audit.record(
        session=session,
        by=by,
        action="change_contact",
        entity_type="referral",
        entity_id=row.id,
        before={"contact": old},
        after={"contact": new},
    )
    choice = _choice("contact", by=by, now=now, reason=None, changed=True)
    return _outcome(session=session, case=case, by=by, choice=choice, told=told)


# --------------------------------------------------------------------------- consent


def withdraw_consent(
    *,
    session: Session,
    referral_id: str,
    body: ConsentWithdrawalIn,
    by: Principal,
    now: dt.datetime | None = None,
) -> ChoiceOutcome:
    """No more sharing: every handover becomes a signpost and every provider that was sent the
    victim's details is told to stop using and delete them."""
    now = now or utcnow()
    case = _load(session=session, referral_id=referral_id, by=by, now=now)
    row = case.referral
    if not row.victim.get("consent_to_share"):
        choice = _choice("consent_withdrawn", by=by, now=now, reason=body.reason, changed=False)
        return _outcome(session=session, case=case, by=by, choice=choice, told=[])
    mode_before = row.mode
    row.victim = {**row.victim, "consent_to_share": False}
    row.mode = "signpost"
    row.updated_at = now
    session.add(row)
    case.note(
        "consent.withdrawn",
        f"The victim withdrew their consent to share their details ({body.reason}); recorded "
        f"by {by.name}. Every service is now a signpost: the victim may still contact them.",
    )
    refused = set(_refused(row))
    holders: list[Handover] = []
    signposted: list[str] = []
    for h in case.handovers:
        if h.mode != "warm":
            continue
        if h.requested_at is not None and h.service_id not in refused:
            holders.append(h)
        h.mode = "signpost"
        h.updated_at = now
        session.add(h)
        signposted.append(h.id)
    told = _tell(
        case, "referral.consent_withdrawn", holders, action="stop_using_and_delete_shared_details"
    )
    for h in holders:
        case.note(
            "consent.told",
            f"{h.service_name} was told to stop using and delete the victim's details.",
            h,
        )
        audit.record(
            session=session,
            by=by,
            action="told_consent_withdrawn",
            entity_type="handover",
            entity_id=h.id,
            before=None,
            after={
                "referral_id": row.id,
                "service_id": h.service_id,
                "provider_id": h.provider_id,
                "status": h.status,
            },
        )
    audit.record(
        session=session,
        by=by,
        action="withdraw_consent",
        entity_type="referral",
        entity_id=row.id,
        before={"consent_to_share": True, "mode": mode_before},
        after={
            "consent_to_share": False,
            "mode": "signpost",
            "reason": body.reason,
            "signposted": signposted,
            "told": [h.id for h in holders],
        },
    )
    choice = _choice("consent_withdrawn", by=by, now=now, reason=body.reason, changed=True)
    return _outcome(session=session, case=case, by=by, choice=choice, told=told)
