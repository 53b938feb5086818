"""The letter: the victim's current plan in plain English, as an accessible HTML page.

Who will contact the victim, how and by when; what each service does; how to change their mind;
what the Victims' Code gives them. It is built from what the router stores (the referral, its
handovers) and, for each service's contact details, the directory snapshot the router holds — when
no snapshot is at hand the letter still renders, without those details.

It is personal data: the referrer that made the referral, a provider holding a warm handover on
it (the lead gives it to the victim) and admins may read it, and each read is audited. It says
nothing of the risk assessment, the MARAC decision or the crime itself: a letter can be found by
the wrong person.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from sqlmodel import Session

from graph.vocabulary import ContactChannel, HandoverStatus, Need
from services.common.audit import service as audit
from services.common.auth.schemas import Principal

from ..handovers.models import Handover
from ..referrals import repository
from ..referrals.models import Referral
from ..referrals.service import visible_to_case_party
from ..snapshot.service import DirectoryView, NoDirectoryError
from .words import CHANNELS, ENHANCED, HELP, RIGHTS

TEMPLATES = Path(__file__).parent / "templates"

SHOWN = (
    HandoverStatus.IN_PROGRESS,
    HandoverStatus.ACCEPTED,
    HandoverStatus.REQUESTED,
    HandoverStatus.PROPOSED,
)
"""Handovers the letter lists as help to come or under way, in this order."""


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One service in the letter."""

    name: str
    when: str
    """Who contacts whom and by when, as one sentence."""
    does: tuple[str, ...]
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    how_to_self_refer: str | None = None


@dataclass(frozen=True, slots=True)
class Letter:
    written_on: str
    reference: str | None
    opening: tuple[str, ...]
    services: tuple[ServiceLine, ...]
    finished: tuple[str, ...]
    not_found: tuple[str, ...]
    how: tuple[str, ...]
    change: tuple[str, ...]
    change_contact: ServiceLine | None
    enhanced: str | None
    rights: tuple[str, ...] = RIGHTS
    deadlines: tuple[str, ...] = field(default=())


def _day(value: dt.date | dt.datetime) -> str:
    day = value.date() if isinstance(value, dt.datetime) else value
    return f"{day:%A} {day.day} {day:%B}"


def _contact(
    service_id: str, services: dict[str, dict[str, str]], *, self_referral: bool = False
) -> dict[str, str | None]:
    """The service's contact details from the directory; how to refer oneself only where the
    victim is to make the first move."""
    c = services.get(service_id, {})
    return {
        "phone": c.get("phone"),
        "email": c.get("email"),
        "url": c.get("url"),
        "how_to_self_refer": c.get("self_referral") if self_referral else None,
    }


def _when(h: Handover, by_id: dict[str, Handover], *, reach_out: bool) -> str:
    status = HandoverStatus(h.status)
    if status is HandoverStatus.IN_PROGRESS:
        return f"{h.service_name} is already helping you."
    if not reach_out:
        return f"{h.service_name} can help you when you are ready. You can contact them."
    if status is HandoverStatus.ACCEPTED:
        return f"{h.service_name} has said yes to helping you. They will contact you soon."
    if status is HandoverStatus.REQUESTED and h.respond_by is not None:
        return f"{h.service_name} will contact you by {_day(h.respond_by)}."
    sender = by_id.get(h.from_node)
    if sender is not None:
        return f"{h.service_name} will contact you after {sender.service_name} has talked to you."
    return f"{h.service_name} will contact you soon."


def build_letter(
    *,
    referral: Referral,
    handovers: list[Handover],
    contacts: dict[str, dict[str, str]],
    today: dt.date,
) -> Letter:
    """The letter's words for ``referral`` as it stands (pure: no I/O)."""
    victim: dict[str, Any] = referral.victim
    prefs: dict[str, Any] = victim.get("contact") or {}
    do_not_contact = bool(prefs.get("do_not_contact"))
    warm = referral.mode == "warm"
    reach_out = warm and not do_not_contact
    by_id = {h.service_id: h for h in handovers}
    current = [h for s in SHOWN for h in handovers if h.status == s]

    opening = ["This letter tells you who will help you, and how."]
    if not warm:
        opening.append(
            "You did not want us to share your details. So we have not passed them on. "
            "You can contact these services yourself, when you want to."
        )
    elif do_not_contact:
        opening.append(
            "You asked us not to contact you. So nobody will call or write to you. "
            "You can contact these services yourself, when you want to."
        )
    opening.append("Keep this letter in a safe place.")

    lines = []
    for h in current:
        does = tuple(HELP[Need(n)] for n in h.needs if n in Need.__members__.values())
        lines.append(
            ServiceLine(
                name=h.service_name,
                when=_when(h, by_id, reach_out=reach_out),
                does=does,
                **_contact(h.service_id, contacts, self_referral=not reach_out),
            )
        )
    finished = tuple(
        f"{h.service_name} has finished helping you." for h in handovers if h.status == "completed"
    )
    not_found = tuple(
        HELP[Need(u["need"])] for u in referral.unmet if u.get("need") in Need.__members__.values()
    )

    how: list[str] = []
    if reach_out:
        channels = [CHANNELS[ContactChannel(c)] for c in prefs.get("channels") or ()]
        if channels:
            how.append(f"They will contact you by {' or '.join(channels)}, as you asked.")
        if prefs.get("safe_times"):
            how.append(
                f"They will only contact you at the times you said are safe: {prefs['safe_times']}."
            )

    lead = by_id.get(referral.lead_service_id or "") if referral.lead_service_id else None
    lead = next((h for h in current if h.lead), lead)
    change = [
        "You are in charge of the help you get. You can change your mind at any time.",
        "You can say no to any service.",
        "You can ask for a break, and start again later.",
        "You can change how and when people contact you.",
        "You can ask us to stop sharing your details.",
    ]
    if lead is not None and lead.status in SHOWN:
        change.append(f"To do any of this, tell {lead.service_name}.")
        change_contact = ServiceLine(
            name=lead.service_name, when="", does=(), **_contact(lead.service_id, contacts)
        )
    else:
        change.append("To do any of this, tell any service in this letter.")
        change_contact = None

    deadlines = []
    if referral.source_kind == "police" and referral.first_update_by >= today:
        # The Victims' Code's first update from the police (1 working day for enhanced
        # entitlement, else 5); a date already past is not news to the victim.
        deadlines.append(
            f"The police should give you news about your case by {_day(referral.first_update_by)}."
        )
    return Letter(
        written_on=_day(today),
        reference=referral.source_reference,
        opening=tuple(opening),
        services=tuple(lines),
        finished=finished,
        not_found=not_found,
        how=tuple(how),
        change=tuple(change),
        change_contact=change_contact,
        enhanced=ENHANCED if referral.enhanced else None,
        deadlines=tuple(deadlines),
    )


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(letter: Letter) -> str:
    """The letter as a complete, accessible HTML page."""
    return _environment().get_template("letter.html").render(letter=letter)


def _contacts(view: DirectoryView) -> dict[str, dict[str, str]]:
    try:
        graph = view.current().graph
    except NoDirectoryError:
        return {}
    return {sid: dict(s.contact) for sid, s in graph.services.items()}


def letter(
    *,
    session: Session,
    referral_id: str,
    by: Principal,
    view: DirectoryView,
    today: dt.date,
) -> str:
    """The letter for ``referral_id`` as HTML; audited as a read of the referral."""
    referral = visible_to_case_party(
        session=session, referral=repository.get(session=session, referral_id=referral_id), by=by
    )
    handovers = repository.handovers(session=session, referral_id=referral.id)
    audit.record(
        session=session,
        by=by,
        action="read_letter",
        entity_type="referral",
        entity_id=referral.id,
        before=None,
        after=None,
    )
    return render(
        build_letter(referral=referral, handovers=handovers, contacts=_contacts(view), today=today)
    )
