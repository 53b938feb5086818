"""Referrals: intake, reading, the timeline and reassessment (keyword-only, typed)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import Engine, Table
from sqlmodel import Session

from graph import (
    InputError,
    PathwayGraph,
    Plan,
    RiskAssessment,
    assess_risk,
    make_plan,
    reassess,
    referral_from_dict,
    victims_code_deadlines,
)
from graph.codec import explanation_to_dict, implied_to_dict, risk_to_dict, unmet_to_dict
from graph.plan import local_date
from graph.vocabulary import ENTRY_NODES, HandoverStatus
from services.common.audit import service as audit
from services.common.audit.models import AuditEvent
from services.common.auth.schemas import Principal, Role
from services.common.db import Rows, insert_rows, utcnow
from services.common.errors import FieldError, UnprocessableContentError
from services.common.pagination import Page, decode_cursor, page_of

from ..errors import (
    IdempotencyInFlightError,
    IdempotencyKeyReusedError,
    NotOnTheCaseError,
    NotTheLeadError,
    ReferralClosedError,
    ReferralNotFoundError,
)
from ..flows import (
    ACTIVE,
    OPEN,
    Case,
    _sender_name,
    current_case,
    graph_referral,
    is_open,
    webhook_data,
)
from ..handovers.models import Handover
from ..handovers.service import shared_with_provider
from ..handovers.service import to_public as handover_public
from ..outbox.models import OutboxEvent
from ..outbox.service import PENDING, new_webhook_id
from ..reviews import service as reviews
from ..snapshot.service import DirectoryUse, DirectoryView
from . import repository
from .models import Assessment, IdempotencyKey, Referral, TimelineEvent
from .schemas import (
    AssessmentIn,
    Deadlines,
    DiffPublic,
    DirectoryUsed,
    ImpliedNeed,
    Kept,
    MaracPublic,
    PlanPublic,
    ReassessmentPublic,
    ReferralCreate,
    ReferralPublic,
    ReferralSummary,
    Released,
    SourcePublic,
    Timeline,
    TimelineEntry,
    UnmetNeed,
)

log = logging.getLogger("pathways.router.referrals")

LISTING = "referrals"
IDEMPOTENCY_LEASE = dt.timedelta(seconds=60)
"""A claim older than this whose request never finished may be taken over. Claims are committed
only with their answer now, so only an earlier version of the router leaves such claims (``_claim``
says when)."""

SENT = frozenset({"requested", "accepted", "in_progress"})
SOURCE_WORDS = {"police": "the police", "agency": "a referring agency", "self": "the victim"}


def input_error(exc: InputError, *, prefix: str = "body") -> UnprocessableContentError:
    loc: list[str | int] = [
        prefix,
        *[p for p in exc.field.replace("]", "").replace("[", ".").split(".") if p],
    ]
    return UnprocessableContentError(
        f"{exc.field}: {exc.message}",
        errors=[FieldError(loc=loc, msg=exc.message, type="value_error")],
    )


# --------------------------------------------------------------------------- reading


def _visible(*, referral: Referral | None, by: Principal) -> Referral:
    if referral is None or (by.role is not Role.ADMIN and referral.referrer != by.name):
        raise ReferralNotFoundError("There is no such referral")
    return referral


def to_public(
    *,
    session: Session | None,
    referral: Referral,
    handovers: list[Handover] | None = None,
    assessment: dict[str, Any] | None = None,
    directory: DirectoryUse | None = None,
) -> ReferralPublic:
    """``session`` may be None when ``handovers`` and ``assessment`` are both given."""
    if handovers is None:
        assert session is not None
        handovers = repository.handovers(session=session, referral_id=referral.id)
    if assessment is None:
        assert session is not None
        assessment = repository.latest_assessment(session=session, referral_id=referral.id).body
    acting = next((h.service_id for h in handovers if h.lead and is_open(h)), None)
    shown = [h for h in handovers if is_open(h) or h.status in ("completed",)]
    return ReferralPublic(
        id=referral.id,
        status=referral.status,
        source=SourcePublic(kind=referral.source_kind, reference=referral.source_reference),
        risk_level=referral.risk_level,
        enhanced=referral.enhanced,
        enhanced_reasons=referral.enhanced_reasons,
        marac=MaracPublic.model_validate(referral.marac) if referral.marac else None,
        risk_notes=referral.risk_notes,
        deadlines=Deadlines(refer_by=referral.refer_by, first_update_by=referral.first_update_by),
        directory_version=referral.directory_version,
        directory=None
        if directory is None
        else DirectoryUsed(
            version=directory.version, stale=directory.stale, fetched_at=directory.fetched_at
        ),
        plan=PlanPublic(
            lead=referral.lead_service_id,
            acting_lead=acting,
            entry=referral.entry,
            mode=referral.mode,
            handovers=[handover_public(h) for h in shown],
            unmet=[UnmetNeed.model_validate(u) for u in referral.unmet],
            implied_needs=[ImpliedNeed.model_validate(i) for i in referral.implied_needs],
        ),
        victim=referral.victim,
        incident=referral.incident,
        assessment=assessment,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        **_schedule(referral),
    )


def _schedule(referral: Referral) -> dict[str, Any]:
    """The next review and any pause, as the referral shows them. A referral being created is
    staged as plain row values without these columns (``_stage``): their defaults apply."""
    if referral.status != "open":
        return {}
    paused = bool(getattr(referral, "paused", False))
    until = getattr(referral, "paused_until", None)
    in_effect = paused and (until is None or until >= local_date(utcnow()))
    return {
        "next_review_on": reviews.due_on(
            cast(
                Referral,
                SimpleNamespace(
                    next_review_on=getattr(referral, "next_review_on", None),
                    received_on=referral.received_on,
                    risk_level=referral.risk_level,
                ),
            )
        ),
        "contact_paused": in_effect,
        "contact_paused_until": until if in_effect else None,
    }


def as_seen_by(
    by: Principal,
    public: ReferralPublic,
    *,
    referral: Referral,
    handovers: list[Handover],
    assessment: dict[str, Any],
) -> ReferralPublic:
    """``public`` as ``by`` may see it. A provider sees the victim only through what its own
    handovers share with it: a warm handover's details (``shared_with_provider``), and for a
    signpost nothing personal at all."""
    if by.role is not Role.PROVIDER:
        return public
    shared = next(
        (
            s
            for h in handovers
            if by.owns(h.provider_id)
            and (s := shared_with_provider(h, referral, assessment)) is not None
        ),
        None,
    )
    if shared is None:
        return public.model_copy(
            update={
                "victim": {},
                "incident": {},
                "source": SourcePublic(kind=referral.source_kind, reference=None),
                "enhanced_reasons": [],
                "risk_notes": [],
            }
        )
    return public.model_copy(
        update={
            "victim": shared["victim"],
            "incident": shared["incident"],
            "source": SourcePublic(kind=referral.source_kind, reference=shared["source_reference"]),
        }
    )


def read(*, session: Session, referral_id: str, by: Principal) -> ReferralPublic:
    referral = _visible(referral=repository.get(session=session, referral_id=referral_id), by=by)
    audit.record(
        session=session,
        by=by,
        action="read",
        entity_type="referral",
        entity_id=referral.id,
        before=None,
        after=None,
    )
    return to_public(session=session, referral=referral)


def listing(
    *, session: Session, by: Principal, cursor: str | None, limit: int
) -> Page[ReferralSummary]:
    after = decode_cursor(LISTING, cursor)
    rows = repository.page(
        session=session,
        referrer=None if by.role is Role.ADMIN else by.name,
        after=str(after) if after is not None else None,
        limit=limit,
    )
    page = page_of(
        rows,
        limit=limit,
        listing=LISTING,
        key=lambda r: r.id,
        to_public=lambda r: ReferralSummary(
            id=r.id,
            status=r.status,
            source=SourcePublic(kind=r.source_kind, reference=r.source_reference),
            risk_level=r.risk_level,
            lead=r.lead_service_id,
            created_at=r.created_at,
            updated_at=r.updated_at,
        ),
    )
    # The crime reference and the risk level are the victim's personal data: each shown is a read.
    for summary in page.items:
        audit.record(
            session=session,
            by=by,
            action="read_summary",
            entity_type="referral",
            entity_id=summary.id,
            before=None,
            after=None,
        )
    return page


def record_replay(*, session: Session, by: Principal, referral_id: str | None) -> None:
    """A replayed ``POST /referrals`` hands the stored referral, personal data and all, back to
    its referrer: that is a read, and audited as one."""
    if referral_id is not None:
        audit.record(
            session=session,
            by=by,
            action="read",
            entity_type="referral",
            entity_id=referral_id,
            before=None,
            after={"via": "idempotent_replay"},
        )


def visible_to_case_party(
    *, session: Session, referral: Referral | None, by: Principal
) -> Referral:
    """``referral`` when ``by`` may read the victim's story (the timeline, the letter): its
    referrer, an admin, or a provider holding a warm handover on it (a signpost shares nothing);
    anyone else gets 404, as for a referral that does not exist."""
    if referral is None:
        raise ReferralNotFoundError("There is no such referral")
    if by.role is Role.PROVIDER:
        handovers = repository.handovers(session=session, referral_id=referral.id)
        if not any(by.owns(h.provider_id) and h.mode == "warm" for h in handovers):
            raise ReferralNotFoundError("There is no such referral")
    elif by.role is not Role.ADMIN and referral.referrer != by.name:
        raise ReferralNotFoundError("There is no such referral")
    return referral


def timeline(*, session: Session, referral_id: str, by: Principal) -> Timeline:
    """The referrer, providers on the case and admins may read it; anyone else gets 404.

    A provider must hold a warm handover on the case: the timeline tells the victim's story
    (the crime reference, the risk, who else helps), and a signpost shares nothing personal."""
    referral = repository.get(session=session, referral_id=referral_id)
    referral = visible_to_case_party(session=session, referral=referral, by=by)
    audit.record(
        session=session,
        by=by,
        action="read_timeline",
        entity_type="referral",
        entity_id=referral.id,
        before=None,
        after=None,
    )
    return Timeline(
        referral_id=referral.id,
        events=[
            TimelineEntry(at=e.occurred_at, kind=e.kind, text=e.text, handover_id=e.handover_id)
            for e in repository.timeline(session=session, referral_id=referral_id)
        ],
    )


# --------------------------------------------------------------------------- intake


def request_hash(body: ReferralCreate) -> str:
    """The ``POST /referrals`` request hash: its body, canonical."""
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def _canonical(body: BaseModel) -> str:
    return json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Replay:
    """The stored answer of the first request with an ``Idempotency-Key``, to send again."""

    status: int
    body: dict[str, Any]


def create_once(
    *,
    session: Session,
    engine: Engine,
    body: ReferralCreate,
    by: Principal,
    view: DirectoryView,
    key: str,
    now: dt.datetime,
) -> bytes | Replay:
    """``create`` under an ``Idempotency-Key``: the new referral's JSON (serialised once: the
    same text is the response and the answer stored for retries), or the first
    request's answer to replay. Same key, other body: 422; first still running: 409.

    The key is claimed with one statement in the request's own transaction (``run_once``): a
    second connection per request would deadlock the pool under load, every request holding one
    while waiting for another. On SQLite the claim is the request's first write, which takes
    SQLite's write lock, so the referral is validated, planned and staged (as plain rows,
    outside the session) first, and the lock is held only while the rows are written. An error
    in that work is raised only once the claim is decided, as if the work came after it: a
    retry of a finished request is replayed even if, say, the directory is down now.
    """
    staged: _Staged | None = None
    failed: Exception | None = None
    if engine.dialect.name == "sqlite":
        try:
            staged = _stage(body=body, by=by, view=view)
        except Exception as exc:  # raised below, once the claim says this request goes ahead
            failed = exc

    def stage() -> tuple[str, BaseModel, Rows]:
        if failed is not None:
            raise failed
        done = staged if staged is not None else _stage(body=body, by=by, view=view)
        return done.public.id, done.public, done.rows

    # Whatever was staged is not written on a replay: run_once writes the rows only after a claim.
    done = run_once(
        session=session,
        by=by,
        key=key,
        digest=request_hash(body),
        now=now,
        work=stage,
    )
    # Committed here, in the worker thread that wrote the rows, rather than by the session
    # dependency after a hand-off back to the event loop and out to a thread again: on SQLite
    # the write lock is released as soon as the rows are in, not after two trips through a
    # busy event loop, which under load stretched every other writer's wait.
    session.commit()
    return done


def run_once(
    *,
    session: Session,
    by: Principal,
    key: str,
    digest: str,
    now: dt.datetime,
    work: Callable[[], tuple[str, BaseModel, Rows]],
) -> bytes | Replay:
    """``work`` run once per caller and ``Idempotency-Key`` (``create_once``; linking family
    members): its answer as JSON (serialised once: the same text is the response and the answer
    stored for retries), or the first request's answer to replay. Same key, other ``digest``:
    422; first still running: 409.

    ``work`` returns the referral its answer is about (a replay's read is audited against it),
    the answer (201) and the rows still to write (it may write others in ``session`` itself):
    those rows and the stored answer go in with one statement on PostgreSQL. The key is claimed
    first, in the same transaction (``repository.insert_claim``), and the claim is committed
    with the work and its answer, or rolled back with them. ``digest`` must tell the request
    apart from any other, its target as well as its body (``request_hash``,
    ``request_digest``), so that a key is never replayed for another request."""
    first = _claim(session=session, principal=by.name, key=key, digest=digest, now=now)
    if first is not None:
        assert first.response is not None and first.response_status is not None
        record_replay(session=session, by=by, referral_id=first.referral_id)
        return Replay(status=first.response_status, body=first.response)
    # A failure here rolls the claim back with the work (the session dependency), and a retry
    # goes ahead as a first request.
    referral_id, answer, rows = work()
    # The JSON FastAPI would send for the returned model (``response_model``, by alias).
    content = answer.model_dump_json(by_alias=True)
    repository.finish_claim(
        session=session,
        principal=by.name,
        key=key,
        referral_id=referral_id,
        status=201,
        response_json=content,
        rows=rows,
    )
    return content.encode()


def request_digest(target: str, body: BaseModel) -> str:
    """The request hash of ``run_once``: ``target`` (e.g. ``family:<referral id>``) and the
    body, canonical. It never equals a ``POST /referrals`` hash (``request_hash``), which has no
    target."""
    return hashlib.sha256(f"{target}\n{_canonical(body)}".encode()).hexdigest()


def _claim(
    *, session: Session, principal: str, key: str, digest: str, now: dt.datetime
) -> IdempotencyKey | None:
    """Returns the finished first request to replay, or None when this request goes ahead."""
    outcome = repository.insert_claim(
        session=session, principal=principal, key=key, request_hash=digest, now=now
    )
    if outcome == "claimed":
        return None
    in_flight = IdempotencyInFlightError(
        "A request with this Idempotency-Key is still being processed; retry shortly"
    )
    if outcome == "busy":
        raise in_flight
    row = repository.idempotency(session=session, principal=principal, key=key)
    if row is None:  # pragma: no cover - a claim being made, not yet committed (SQLite cannot)
        raise in_flight
    if row.request_hash != digest:
        raise IdempotencyKeyReusedError(
            "This Idempotency-Key was already used with a different body; use a new key for a "
            "new referral"
        )
    if row.status == "done":
        return row
    # A claim is committed only with its answer, so one still in progress was left by an
    # earlier version of the router, which committed claims at once (by a request that died,
    # or one still running during a rolling upgrade). A stale one is taken over by one request
    # only: the takeover is conditional on the claim being the one this request read.
    if repository.stale_claim(
        row=row, now=now, lease=IDEMPOTENCY_LEASE
    ) and repository.take_over_claim(session=session, row=row, now=now):
        return None
    raise in_flight


def _risk_words(risk: RiskAssessment) -> str:
    parts = [f"Risk level: {risk.level.value}."]
    if risk.marac is not None:
        parts.append(f"A MARAC referral is due ({risk.marac.criterion.value.replace('_', ' ')}).")
    if risk.enhanced:
        parts.append(
            "Enhanced rights under the Victims' Code (" + "; ".join(risk.enhanced_reasons) + ")."
        )
    return " ".join(parts)


def create(
    *,
    session: Session,
    body: ReferralCreate,
    by: Principal,
    view: DirectoryView,
    now: dt.datetime | None = None,
) -> ReferralPublic:
    """Validate, plan and store a referral with its first assessment and handovers."""
    staged = _stage(body=body, by=by, view=view, now=now)
    insert_rows(session, staged.rows)
    return staged.public


@dataclass(frozen=True, slots=True)
class _Staged:
    """A new referral, planned: its rows (not written yet) and its response."""

    rows: dict[Table, list[dict[str, Any]]]
    public: ReferralPublic


_TABLES: dict[str, Table] = {
    str(model.__tablename__): cast(Table, model.__table__)  # type: ignore[union-attr]
    for model in (Referral, Assessment, TimelineEvent, Handover, OutboxEvent, AuditEvent)
}


def _stage(
    *,
    body: ReferralCreate,
    by: Principal,
    view: DirectoryView,
    now: dt.datetime | None = None,
) -> _Staged:
    """``create`` up to the writing: every row as plain data, none written, nothing read from
    the database (ids are made here, so the response is complete).

    The rows are those ``flows.Case.start`` writes for a first plan, built as plain rows
    (``_FirstPlan``) rather than ORM objects: a referral is a dozen rows, and objects, their
    states and the unit of work cost more than planning it."""
    now = now or utcnow()
    today = local_date(now)
    raw = body.model_dump(mode="json", exclude_none=True)
    try:
        referral = referral_from_dict(raw, today=today)
    except InputError as exc:
        raise input_error(exc) from None
    use = view.current()
    risk = assess_risk(referral, as_of=today)
    plan = make_plan(use.graph, referral, now=now)
    reported = referral.incident.reported_on or today
    deadlines = victims_code_deadlines(reported, enhanced=risk.enhanced)
    risk_doc = risk_to_dict(risk)
    row: dict[str, Any] = {
        **_REFERRAL_DEFAULTS,  # every column, so the row reads like a Referral
        "id": str(uuid.uuid4()),
        "referrer": by.name,
        "source_kind": referral.source.value,
        "source_reference": body.source.reference,
        "status": "open",
        "risk_level": risk.level.value,
        "enhanced": risk.enhanced,
        "enhanced_reasons": list(risk.enhanced_reasons),
        "marac": risk_doc["marac"],
        "risk_notes": list(risk.notes),
        "refer_by": deadlines.refer_by,
        "first_update_by": deadlines.first_update_by,
        "received_on": today,
        "directory_version": use.version,
        "directory_stale": use.stale,
        "entry": plan.entry,
        "mode": plan.mode.value,
        "lead_service_id": None,
        "victim": raw["victim"],
        "incident": raw["incident"],
        "unmet": [],
        "implied_needs": [],
        "assessment_count": 1,
        "created_at": now,
        "updated_at": now,
    }
    assessment = {
        "referral_id": row["id"],
        "seq": 1,
        "body": raw["assessment"],
        "risk_level": risk.level.value,
        "by_name": by.name,
        "by_role": by.role.value,
        "created_at": now,
    }
    case = _FirstPlan(referral=row, now=now, actor=by.name)
    reference = f" (reference {body.source.reference})" if body.source.reference else ""
    case.note(
        "referral.received",
        f"Referral received from {SOURCE_WORDS[row['source_kind']]}{reference}. "
        + _risk_words(risk),
    )
    case.note(
        "deadlines",
        f"Victims' Code: details to support services by {deadlines.refer_by:%d %B %Y}; "
        f"first update to the victim by {deadlines.first_update_by:%d %B %Y}.",
    )
    if use.stale:
        case.note(
            "directory.stale",
            f"Planned from the last good copy of the directory (version {use.version}); "
            "the directory could not be reached.",
        )
    case.start(plan, use.graph)
    event = audit.new_row(
        by=by,
        action="create",
        entity_type="referral",
        entity_id=row["id"],
        after={
            "source": row["source_kind"],
            "risk_level": row["risk_level"],
            "handovers": [h.service_id for h in case.handovers],
        },
    )
    public = to_public(
        session=None,
        referral=cast(Referral, SimpleNamespace(**row)),
        handovers=cast(list[Handover], case.handovers),
        assessment=raw["assessment"],
        directory=use,
    )
    rows = {
        _TABLES["referrals"]: [row],
        _TABLES["assessments"]: [assessment],
        _TABLES["handovers"]: [vars(h) for h in case.handovers],
        _TABLES["timeline_events"]: case.timeline,
        _TABLES["outbox_events"]: case.outbox,
        _TABLES["audit_log"]: [event],
    }
    return _Staged(rows={t: r for t, r in rows.items() if r}, public=public)


class _FirstPlan:
    """``flows.Case.start`` for a referral not yet stored: the same rows, in the same order,
    as plain data (handovers as namespaces with every column of ``handovers``, which the
    response reads as it reads a ``Handover``). Only a first plan: nothing is open yet, so
    nothing is released, and only handovers from the entry node are sent at once.
    ``tests/router/referrals/test_first_plan.py`` holds it to ``Case.start``."""

    def __init__(self, *, referral: dict[str, Any], now: dt.datetime, actor: str) -> None:
        self.referral = referral
        self.now = now
        self.actor = actor
        self.handovers: list[SimpleNamespace] = []
        self.timeline: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []

    def note(self, kind: str, text: str, handover: SimpleNamespace | None = None) -> None:
        self.timeline.append(
            {
                "referral_id": self.referral["id"],
                "handover_id": handover.id if handover is not None else None,
                "occurred_at": self.now,
                "kind": kind,
                "actor": self.actor,
                "text": text,
            }
        )

    def _open(self, service_id: str | None) -> SimpleNamespace | None:
        if service_id is None:
            return None
        for h in self.handovers:
            if h.service_id == service_id and h.status in OPEN:
                return h
        return None

    def start(self, plan: Plan, graph: PathwayGraph) -> None:
        r = self.referral
        r["lead_service_id"] = plan.lead
        r["directory_version"] = plan.directory_version
        r["entry"] = plan.entry
        r["mode"] = plan.mode.value
        r["unmet"] = [unmet_to_dict(u) for u in plan.unmet]
        r["implied_needs"] = [implied_to_dict(i) for i in plan.implied]
        for u in plan.unmet:
            self.note(
                "need.unmet",
                f"No service can meet {u.need.value.replace('_', ' ')} now; "
                "it is recorded as an unmet need for commissioners.",
            )
        for planned in plan.handovers:
            service = graph.services[planned.service_id]
            h = SimpleNamespace(**_HANDOVER_DEFAULTS)
            h.id = str(uuid.uuid4())
            h.referral_id = r["id"]
            h.seq = len(self.handovers)
            h.service_id = service.id
            h.provider_id = service.provider_id
            h.service_name = service.name
            h.from_node = planned.from_node
            h.needs = [n.value for n in planned.needs]
            h.mode = planned.mode.value
            h.status = HandoverStatus.PROPOSED.value
            h.explanation = explanation_to_dict(planned.explanation)
            h.response_hours = service.response_hours
            h.created_at = self.now
            h.updated_at = self.now
            self.handovers.append(h)
            needs = ", ".join(n.value.replace("_", " ") for n in planned.needs) or "passing on"
            sender = _sender_name(planned.from_node, graph, cast(list[Handover], self.handovers))
            self.note(
                "handover.planned",
                f"{service.name} is in the plan ({needs}), to be handed over by {sender}.",
                h,
            )
            h.lead = planned.lead
        self._settle()

    def _settle(self) -> None:
        # Case.settle, less the releases: a first plan has none scheduled.
        moved = True
        while moved:
            moved = False
            holder = next((h for h in self.handovers if h.lead and h.status in OPEN), None)
            planned = self._open(self.referral["lead_service_id"])
            if (
                planned is not None
                and planned is not holder
                and (holder is None or planned.status == HandoverStatus.IN_PROGRESS.value)
            ):
                if holder is not None:
                    holder.lead = False
                planned.lead = True
                self.note("lead.changed", f"{planned.service_name} now leads the case.", planned)
                moved = True
            for h in list(self.handovers):
                if h.status != HandoverStatus.PROPOSED.value:
                    continue
                if h.from_node in ENTRY_NODES:
                    self._request(h)
                    moved = True
                    continue
                sender = self._open(h.from_node)
                if sender is not None and sender.status in _ACTIVE:
                    self._request(h)
                    moved = True
                elif sender is None:
                    h.from_node = self.referral["entry"]
                    self.note(
                        "handover.resent",
                        f"{h.service_name} was to be handed over by a service no longer "
                        "involved; it is requested directly instead.",
                        h,
                    )
                    self._request(h)
                    moved = True

    def _request(self, h: SimpleNamespace) -> None:
        h.status = HandoverStatus.REQUESTED.value
        h.updated_at = self.now
        h.requested_at = self.now
        h.respond_by = self.now + dt.timedelta(hours=h.response_hours)
        type_ = "handover.requested"
        if h.service_id not in (self.referral["victim"].get("refused_services") or ()):
            # As Case.publish: a service the victim refused is told nothing about them.
            self._publish(type_, h)
        what = (
            "was told the victim may contact them (a signpost: no details were shared)"
            if h.mode == "signpost"
            else "was asked to take the victim on"
        )
        due = f"; an answer is due by {h.respond_by:%d %B %Y %H:%M} UTC"
        self.note("handover.requested", f"{h.service_name} {what}{due}.", h)

    def _publish(self, type_: str, h: SimpleNamespace) -> None:
        self.outbox.append(
            {
                "id": new_webhook_id(),
                "type": type_,
                "service_id": h.service_id,
                "provider_id": h.provider_id,
                "referral_id": h.referral_id,
                "handover_id": h.id,
                "payload": {
                    "type": type_,
                    "timestamp": self.now.isoformat(),
                    "data": webhook_data(cast(Handover, h)),
                },
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": self.now,
                "created_at": self.now,
            }
        )


_ACTIVE = frozenset(s.value for s in ACTIVE)


def _column_defaults(table: Table) -> dict[str, Any]:
    """Every column of ``table`` with its scalar default, or None."""
    return {
        column.key: (
            getattr(column.default, "arg", None)
            if getattr(column.default, "is_scalar", False)
            else None
        )
        for column in table.columns
    }


_HANDOVER_DEFAULTS = _column_defaults(_TABLES["handovers"])
_REFERRAL_DEFAULTS = _column_defaults(_TABLES["referrals"])


# --------------------------------------------------------------------------- reassessment


def may_act_on(
    *, session: Session, referral: Referral | None, by: Principal, lead_only: bool = True
) -> Referral:
    """``referral``, when ``by`` may act on the victim's behalf on it: an admin, the referrer
    that made it, or a provider on the case: its lead (``lead_only``: reassess, record a
    choice, add family) or any provider with an open handover (ask for a review sooner).

    Anyone else, and a provider never on the case, gets the same 404 as for a referral that
    does not exist; a provider on the case but not allowed gets a 403 (``NotTheLeadError``,
    or ``NotOnTheCaseError`` once its part has ended)."""
    if referral is None:
        raise ReferralNotFoundError("There is no such referral")
    if by.role is Role.ADMIN or (by.role is Role.REFERRER and referral.referrer == by.name):
        return referral
    if by.role is Role.PROVIDER:
        handovers = repository.handovers(session=session, referral_id=referral.id)
        mine = [h for h in handovers if by.owns(h.provider_id)]
        if not mine:
            raise ReferralNotFoundError("There is no such referral")
        if lead_only:
            if any(h.lead and is_open(h) for h in mine) or any(
                h.service_id == referral.lead_service_id and is_open(h) for h in mine
            ):
                return referral
            raise NotTheLeadError("Only the lead provider may reassess this referral")
        if any(is_open(h) for h in mine):
            return referral
        raise NotOnTheCaseError("Your service's part in this case has ended")
    raise ReferralNotFoundError("There is no such referral")


def reassess_referral(
    *,
    session: Session,
    referral_id: str,
    body: AssessmentIn,
    by: Principal,
    view: DirectoryView,
    now: dt.datetime | None = None,
) -> ReassessmentPublic:
    """A new assessment: a new plan from the victim's current position, applied as a diff."""
    now = now or utcnow()
    row = may_act_on(
        session=session,
        referral=repository.get(session=session, referral_id=referral_id, for_update=True),
        by=by,
    )
    if row.status != "open":
        raise ReferralClosedError("The referral is closed; send a new referral instead")
    assessment = body.model_dump(mode="json", exclude_none=True)
    handovers = repository.handovers(session=session, referral_id=row.id)
    case = Case(session=session, referral=row, handovers=handovers, now=now, actor=by.name)
    try:
        referral = graph_referral(row, assessment, now=now)
    except InputError as exc:
        raise input_error(exc, prefix="body") from None
    use = view.current()
    result = reassess(use.graph, referral, current_case(case.handovers), now=now)
    risk = assess_risk(referral, as_of=local_date(now))
    seq = repository.next_assessment_seq(session=session, referral_id=row.id)
    session.add(
        Assessment(
            referral_id=row.id,
            seq=seq,
            body=assessment,
            risk_level=risk.level.value,
            by_name=by.name,
            by_role=by.role.value,
            created_at=now,
        )
    )
    risk_doc = risk_to_dict(risk)
    changed_risk = row.risk_level != risk.level.value
    row.risk_level = risk.level.value
    row.enhanced = row.enhanced or risk.enhanced
    row.enhanced_reasons = sorted(set(row.enhanced_reasons) | set(risk.enhanced_reasons))
    row.marac = risk_doc["marac"] or row.marac
    row.risk_notes = list(risk.notes)
    row.assessment_count = seq
    row.directory_stale = use.stale
    case.note(
        "referral.reassessed",
        f"Needs reassessed by {by.name}. "
        + ("The risk level changed. " if changed_risk else "")
        + _risk_words(risk),
    )
    started = case.apply(result, use.graph)
    for h in case.handovers:
        # Providers already asked are told; one still only proposed has not heard of it yet.
        if h.status in SENT and h not in started:
            case.publish("referral.reassessed", h)
    audit.record(
        session=session,
        by=by,
        action="reassess",
        entity_type="referral",
        entity_id=row.id,
        before=None,
        after={
            "assessment": seq,
            "risk_level": row.risk_level,
            "started": [h.service_id for h in started],
            "released": [r.service_id for r in result.diff.release],
        },
    )
    # A reassessment is a review too: it is recorded and the next one scheduled from today.
    reviews.record_reassessment(session=session, referral=row, by=by, now=now)
    session.flush()
    diff = result.diff
    return ReassessmentPublic(
        referral=as_seen_by(
            by,
            to_public(
                session=session,
                referral=row,
                handovers=case.handovers,
                assessment=assessment,
                directory=use,
            ),
            referral=row,
            handovers=case.handovers,
            assessment=assessment,
        ),
        diff=DiffPublic(
            start=[handover_public(h) for h in started],
            keep=[
                Kept(service_id=k.service_id, needs=list(k.needs), lead=k.lead) for k in diff.keep
            ],
            release=[
                Released(
                    service_id=r.service_id,
                    reason=r.reason,
                    after=list(r.after),
                    acting_lead=r.acting_lead,
                )
                for r in diff.release
            ],
            lead_before=diff.lead_before,
            lead_after=diff.lead_after,
        ),
    )
