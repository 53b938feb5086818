"""Family links: several victims of one incident as one case, each with their own plan.

**Linking** (``link``) is asked of one referral, the case's first victim (``self``), by the
referrer that made it, its lead provider or an admin (the rule of
``referrals.service.may_act_on``). Each member named becomes a new referral, made by
``referrals.service.create`` from the member's own details and needs and the first referral's
area, incident and source, so each gets a plan of their own: a child of a domestic abuse victim
is routed to the young victims service, a relative bereaved by homicide to the homicide
service. They are linked with the first referral into one case (a new one, or the case it is
already in).

Who makes the new referrals:

- ``create`` is called with the **real caller** as ``by``: its audit entry (``create``), the
  first assessment (``by_name``) and the timeline name who actually referred the member (the
  IDVA, say, on the victim's word);
- then each new referral is given to the **first referral's referrer** (``Referral.referrer``,
  in the same transaction, before anything is committed): a referral belongs to the referrer
  that sent the first victim, so that referrer sees the whole family whoever linked it, and a
  provider never owns a referral. The audit entry of the link records that owner.

**Reading** a case shows each member's referral id, relationship, risk level, status and lead,
to the referrer that made them and to admins. A provider sees only the members on whose plan it
has a warm handover (the rule for reading a timeline), and nothing at all of the others: not
their ids, not how many they are. A case it sees no member of does not exist for it (404).

Every link and every member shown is in the audit log, naming the caller.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from pydantic import ValidationError
from sqlmodel import Session

from graph.vocabulary import RiskFlag, RiskLevel
from services.common.audit import service as audit
from services.common.auth.schemas import Principal, Role
from services.common.db import utcnow
from services.common.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    UnprocessableContentError,
)

from ..errors import NotTheLeadError, ReferralClosedError, ReferralNotFoundError
from ..referrals import repository as referrals
from ..referrals import service as referral_service
from ..referrals.models import Referral
from ..referrals.schemas import (
    AssessmentIn,
    IncidentIn,
    ReferralCreate,
    ReferralPublic,
    SourceIn,
    VictimIn,
)
from ..referrals.service import Replay, may_act_on, request_digest, run_once
from ..snapshot.service import DirectoryView
from . import repository
from .models import FamilyCase, FamilyKind, FamilyMember, Relationship
from .schemas import (
    FamilyCasePublic,
    FamilyIn,
    FamilyLinked,
    FamilyMemberPublic,
    FamilyPublic,
    MemberCreated,
    MemberIn,
    MemberRelationship,
    PlannedService,
    ReferralFamily,
)

ADULT_AGE = 18

KIND_WORDS = {
    FamilyKind.HOUSEHOLD: "household",
    FamilyKind.BEREAVED_FAMILY: "bereaved family",
    FamilyKind.OTHER: "family",
}

MEMBER_FIELDS = frozenset(VictimIn.model_fields) - {"area"}
"""What a member shares with a referral's victim (the area is the first referral's)."""


class FamilyCaseNotFoundError(NotFoundError):
    code = "family_case_not_found"
    description = "No such family case (or none of its members is yours to see)"


class FamilyCopyError(ConflictError):
    code = "family_copy_failed"
    description = "The referral's incident or source cannot be copied to new referrals"


class FamilyKindMismatchError(ConflictError):
    code = "family_kind_mismatch"
    description = "The referral is already in a family case of another kind"


# --------------------------------------------------------------------------- linking


def link(
    *,
    session: Session,
    referral_id: str,
    body: FamilyIn,
    by: Principal,
    view: DirectoryView,
    now: dt.datetime | None = None,
) -> FamilyLinked:
    """Refer each member for support of their own and link them with the referral into one
    family case (created, or the one the referral is in)."""
    now = now or utcnow()
    try:
        first = may_act_on(
            session=session,
            referral=referrals.get(session=session, referral_id=referral_id, for_update=True),
            by=by,
        )
    except NotTheLeadError:
        raise NotTheLeadError(
            "Only the referrer that made the referral, the lead provider or an admin may link "
            "family members to it"
        ) from None
    if first.status != "open":
        raise ReferralClosedError(
            "The referral is closed; refer the family members with referrals of their own"
        )
    # Every member's referral is checked before any is made, so that one bad member fails the
    # request as a whole (and the 422 names all of them).
    bodies = _member_bodies(first=first, body=body)
    case, seq = _case_of(session=session, first=first, kind=body.kind, by=by, now=now)
    words = KIND_WORDS[body.kind]
    created: list[MemberCreated] = []
    made: list[tuple[ReferralPublic, MemberRelationship]] = []
    for i, (member, referral_body) in enumerate(zip(body.members, bodies, strict=True)):
        try:
            public = referral_service.create(
                session=session, body=referral_body, by=by, view=view, now=now
            )
        except UnprocessableContentError as exc:
            raise _at_member(exc, i) from None
        made.append((public, member.relationship))
    new_ids = [public.id for public, _ in made]
    # The new referrals belong to the first referral's referrer, whoever made them (see above).
    repository.assign_referrer(session=session, referral_ids=new_ids, referrer=first.referrer)
    mine = (
        repository.warm_on(session=session, provider_id=by.provider_id, referral_ids=new_ids)
        if by.role is Role.PROVIDER and by.provider_id is not None
        else set(new_ids)
    )
    for public, relationship in made:
        repository.add_member(
            session=session,
            member=FamilyMember(
                referral_id=public.id,
                case_id=case.id,
                seq=seq,
                relationship=relationship,
                added_at=now,
                added_by=by.name,
            ),
        )
        seq += 1
        repository.note(
            session=session,
            referral_id=public.id,
            kind="family.linked",
            # Not naming who referred them: that the referrer or a service on another
            # member's plan (an IDVA, say) is involved is that member's business.
            text=f"Referred as the {relationship} of another victim of the same incident, and "
            f"linked with them in one {words} case. Each person has their own plan; the "
            "others' details stay with their own referrals.",
            now=now,
            actor=by.name,
        )
        audit.record(
            session=session,
            by=by,
            action="add_family_member",
            entity_type="referral",
            entity_id=public.id,
            before=None,
            after={
                "case_id": case.id,
                "relationship": relationship,
                "linked_to": first.id,
                "referrer": first.referrer,
                "handovers": [h.service_id for h in public.plan.handovers],
            },
        )
        created.append(
            MemberCreated(
                referral_id=public.id if public.id in mine else None,
                relationship=relationship,
                lead=public.plan.lead,
                handovers=[
                    PlannedService(service_id=h.service_id, mode=h.mode, status=h.status)
                    for h in public.plan.handovers
                ],
            )
        )
    count = len(made)
    repository.note(
        session=session,
        referral_id=first.id,
        kind="family.linked",
        text=f"{count} family member{'s' if count != 1 else ''} of the victim "
        f"{'were' if count != 1 else 'was'} referred by {by.name} for support of their own, "
        f"linked in one {words} case. Each has their own plan; their details stay with their "
        "own referrals.",
        now=now,
        actor=by.name,
    )
    audit.record(
        session=session,
        by=by,
        action="link_family",
        entity_type="family_case",
        entity_id=case.id,
        before=None,
        after={"referral_id": first.id, "kind": case.kind, "added": new_ids},
    )
    session.flush()
    return FamilyLinked(case=_case_public(case), created=created)


def link_once(
    *,
    session: Session,
    referral_id: str,
    body: FamilyIn,
    by: Principal,
    view: DirectoryView,
    key: str,
    now: dt.datetime | None = None,
) -> bytes | Replay:
    """``link`` under an ``Idempotency-Key`` (``referrals.service.run_once``): the first
    request's answer as JSON, or, for a retry, that answer to send again."""
    now = now or utcnow()
    return run_once(
        session=session,
        by=by,
        key=key,
        digest=request_digest(f"family:{referral_id}", body),
        now=now,
        work=lambda: (
            referral_id,
            link(session=session, referral_id=referral_id, body=body, by=by, view=view, now=now),
            {},  # link writes its rows itself
        ),
    )


def _member_bodies(*, first: Referral, body: FamilyIn) -> list[ReferralCreate]:
    try:
        source = SourceIn.model_validate(
            {"kind": first.source_kind, "reference": first.source_reference}
        )
        incident = IncidentIn.model_validate(first.incident)
    except ValidationError:  # pragma: no cover - both were valid when the referral was stored
        raise FamilyCopyError(
            "The referral's incident or source can no longer be copied to new referrals; "
            "refer the family members with referrals of their own"
        ) from None
    area = first.victim["area"]
    bodies: list[ReferralCreate] = []
    errors: list[FieldError] = []
    for i, member in enumerate(body.members):
        loc: list[str | int] = ["body", "members", i]
        needs = _needs(member, body.kind)
        if needs is None:
            errors.append(
                FieldError(
                    loc=[*loc, "needs"],
                    msg="required for a member who is not a child (18 or over, or of unknown "
                    "age and not a `child`)",
                    type="value_error",  # a rule beyond the schema: it depends on the age
                )
            )
            continue
        flags = list(member.flags)
        if body.kind is FamilyKind.BEREAVED_FAMILY and RiskFlag.BEREAVED not in flags:
            flags.append(RiskFlag.BEREAVED)
        given = member.model_dump(include=set(MEMBER_FIELDS), exclude_none=True)
        try:
            bodies.append(
                ReferralCreate(
                    source=source,
                    victim=VictimIn.model_validate({**given, "area": area}),
                    incident=incident,
                    assessment=AssessmentIn.model_validate(
                        {"needs": needs, "flags": flags, "risk_level": member.risk_level}
                    ),
                )
            )
        except ValidationError as exc:  # pragma: no cover - the member's own types are these
            errors.extend(
                FieldError(loc=[*loc, *map(str, e["loc"])], msg=e["msg"], type=e["type"])
                for e in exc.errors()
            )
    if errors:
        raise UnprocessableContentError(
            "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors), errors=errors
        )
    return bodies


def _young(member: MemberIn) -> bool:
    if member.age is not None:
        return member.age < ADULT_AGE
    return member.relationship == "child"


def _needs(member: MemberIn, kind: FamilyKind) -> dict[str, int] | None:
    if member.needs is not None:
        return {n.value: s for n, s in member.needs.items()}
    needs: dict[str, int] = {}
    if _young(member):
        needs["young_victim_support"] = 2
    if kind is FamilyKind.BEREAVED_FAMILY:
        needs["bereavement_support"] = 2
    return needs or None


def _at_member(exc: UnprocessableContentError, i: int) -> UnprocessableContentError:
    """A referral's 422 (``body.victim.age``, ``body.assessment.needs``) as the member's."""

    def where(loc: Sequence[str | int]) -> list[str | int]:
        if len(loc) >= 2 and loc[0] == "body" and loc[1] in ("victim", "assessment"):
            return ["body", "members", i, *loc[2:]]
        return ["body", "members", i, *loc[1:]]

    errors = [FieldError(loc=where(e.loc), msg=e.msg, type=e.type) for e in (exc.errors or [])]
    if not errors:
        return UnprocessableContentError(f"body.members.{i}: {exc.detail}")
    detail = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors)
    return UnprocessableContentError(detail, errors=errors)


def _case_of(
    *, session: Session, first: Referral, kind: FamilyKind, by: Principal, now: dt.datetime
) -> tuple[FamilyCase, int]:
    """The first referral's case (locked: members are added to one case one request at a
    time) and the next member's place in it; or a new case with the referral as ``self``."""
    member = repository.membership(session=session, referral_id=first.id)
    if member is not None:
        case = repository.get_case(session=session, case_id=member.case_id, for_update=True)
        assert case is not None
        if case.kind != kind.value:
            raise FamilyKindMismatchError(
                f"The referral is already in a {KIND_WORDS[FamilyKind(case.kind)]} case "
                f"(kind {case.kind!r}): add members to it with that kind"
            )
        return case, repository.next_seq(session=session, case_id=case.id)
    case = repository.add_case(
        session=session,
        case=FamilyCase(id=str(uuid.uuid4()), kind=kind.value, created_at=now, created_by=by.name),
    )
    repository.add_member(
        session=session,
        member=FamilyMember(
            referral_id=first.id,
            case_id=case.id,
            seq=0,
            relationship=Relationship.SELF.value,
            added_at=now,
            added_by=by.name,
        ),
    )
    audit.record(
        session=session,
        by=by,
        action="create",
        entity_type="family_case",
        entity_id=case.id,
        before=None,
        after={"kind": case.kind, "referral_id": first.id},
    )
    audit.record(
        session=session,
        by=by,
        action="add_family_member",
        entity_type="referral",
        entity_id=first.id,
        before=None,
        after={"case_id": case.id, "relationship": Relationship.SELF.value},
    )
    return case, 1


# --------------------------------------------------------------------------- reading


def read_case(*, session: Session, case_id: str, by: Principal) -> FamilyPublic:
    """The case's members that ``by`` may see; a case it may see none of is a 404."""
    case = repository.get_case(session=session, case_id=case_id)
    if case is None:
        raise FamilyCaseNotFoundError("There is no such family case")
    return _view(session=session, case=case, by=by)


def read_for_referral(*, session: Session, referral_id: str, by: Principal) -> ReferralFamily:
    """The case of a referral ``by`` may read (as its referrer, an admin, or a provider with a
    warm handover on it), as ``by`` may see it; ``case`` is None when it is in none."""
    referral = referrals.get(session=session, referral_id=referral_id)
    if referral is None or not _may_see(session=session, referral=referral, by=by):
        raise ReferralNotFoundError("There is no such referral")
    member = repository.membership(session=session, referral_id=referral.id)
    if member is None:
        return ReferralFamily(case=None, members=[])
    case = repository.get_case(session=session, case_id=member.case_id)
    assert case is not None
    # ``by`` sees at least this referral's own member: it may read the referral.
    view = _view(session=session, case=case, by=by)
    return ReferralFamily(case=view.case, members=view.members)


def _may_see(*, session: Session, referral: Referral, by: Principal) -> bool:
    if by.role is Role.ADMIN:
        return True
    if by.role is Role.PROVIDER and by.provider_id is not None:
        return bool(
            repository.warm_on(
                session=session, provider_id=by.provider_id, referral_ids=[referral.id]
            )
        )
    return by.role is Role.REFERRER and referral.referrer == by.name


def _view(*, session: Session, case: FamilyCase, by: Principal) -> FamilyPublic:
    rows = repository.members(session=session, case_id=case.id)
    if by.role is Role.ADMIN:
        shown = rows
    elif by.role is Role.PROVIDER and by.provider_id is not None:
        warm = repository.warm_on(
            session=session, provider_id=by.provider_id, referral_ids=[r.id for _, r in rows]
        )
        shown = [(m, r) for m, r in rows if r.id in warm]
    elif by.role is Role.REFERRER:
        shown = [(m, r) for m, r in rows if r.referrer == by.name]
    else:  # pragma: no cover - the endpoints admit referrers, providers and admins only
        shown = []
    if not shown:
        raise FamilyCaseNotFoundError("There is no such family case")
    # Each member shown (their relationship, risk level and plan) is personal data: a read.
    for member, _referral in shown:
        audit.record(
            session=session,
            by=by,
            action="read_family",
            entity_type="referral",
            entity_id=member.referral_id,
            before=None,
            after={"case_id": case.id},
        )
    return FamilyPublic(
        case=_case_public(case),
        members=[
            FamilyMemberPublic(
                referral_id=r.id,
                relationship=Relationship(m.relationship),
                risk_level=RiskLevel(r.risk_level),
                status=r.status,
                lead=r.lead_service_id,
                added_at=m.added_at,
            )
            for m, r in shown
        ],
    )


def _case_public(case: FamilyCase) -> FamilyCasePublic:
    return FamilyCasePublic(
        id=case.id,
        kind=FamilyKind(case.kind),
        created_at=case.created_at,
        created_by=case.created_by,
    )
