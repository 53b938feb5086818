"""Plain JSON in and out: directory documents, referrals, plans.

Readers are strict: unknown fields, unknown codes, wrong types (a float or a boolean where an
integer belongs), impossible values all raise an error naming the field. Writers give plain
``dict``/``list`` trees in the shapes of API.md; ``canonical_json`` makes them byte-stable.

>>> d = load_directory()
>>> len(d.services)
28
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from .errors import DirectoryError, InputError, PathwaysError
from .model import (
    Assessment,
    Capacity,
    ContactPreferences,
    Diff,
    Directory,
    Eligibility,
    Explanation,
    ImpliedNeed,
    Incident,
    Pathway,
    Plan,
    PlannedHandover,
    Referral,
    Rejection,
    RiskAssessment,
    Service,
    UnmetNeed,
    Victim,
)
from .vocabulary import (
    AREA_CODE,
    ENTRY_NODES,
    ENTRY_SELF,
    AccessNeed,
    CapacityStatus,
    ContactChannel,
    IncidentKind,
    Need,
    RiskFlag,
    RiskLevel,
    Severity,
    Sex,
    SourceKind,
    VictimRole,
    language_tag,
)

SHIPPED_DIRECTORY = "cambridgeshire-peterborough.json"
MAX_TEXT = 2000
MAX_LIST = 200
E = TypeVar("E", bound=Enum)
T = TypeVar("T")


# --------------------------------------------------------------------------- strict reading


class _Reader:
    """Reads one JSON object, naming each field by its dotted path in every error."""

    def __init__(
        self, value: object, path: str, error: type[PathwaysError], *, strict: bool = True
    ) -> None:
        if not isinstance(value, Mapping):
            raise error(path, "must be an object")
        self.data: Mapping[str, Any] = value
        self.path = path
        self.error = error
        self.strict = strict
        self.seen: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> PathwaysError:
        return self.error(self.at(key), message)

    def raw(self, key: str, *, required: bool = False) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "is required")
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str | None:
        v = self.raw(key, required=required)
        if v is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if not isinstance(v, str):
            raise self.fail(key, "must be a string")
        if required and not v.strip():
            raise self.fail(key, "must not be empty")
        if len(v) > max_len:
            raise self.fail(key, f"must be at most {max_len} characters")
        if "\x00" in v:
            raise self.fail(key, "must not contain NUL characters")
        return v

    def integer(
        self, key: str, *, lo: int | None = None, hi: int | None = None, required: bool = False
    ) -> int | None:
        v = self.raw(key, required=required)
        if v is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, "must be a whole number")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise self.fail(key, f"must be between {lo} and {hi}, not {v}")
        return v

    def number(self, key: str, *, lo: float = 0.0, hi: float = 365.0) -> float | None:
        v = self.raw(key)
        if v is None:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(key, "must be a number")
        if not lo <= float(v) <= hi:
            raise self.fail(key, f"must be between {lo:g} and {hi:g}, not {v}")
        return float(v)

    def boolean(self, key: str) -> bool | None:
        v = self.raw(key)
        if v is None:
            return None
        if not isinstance(v, bool):
            raise self.fail(key, "must be true or false")
        return v

    def code(self, key: str, enum: type[E], *, required: bool = False) -> E | None:
        v = self.raw(key, required=required)
        if v is None:
            if required:
                raise self.fail(key, "is required")
            return None
        return _code(v, enum, self.at(key), self.error)

    def codes(self, key: str, enum: type[E]) -> frozenset[E] | None:
        v = self.raw(key)
        if v is None:
            return None
        return frozenset(self._list(key, v, lambda x, p: _code(x, enum, p, self.error)))

    def texts(self, key: str, *, max_len: int = 200) -> tuple[str, ...] | None:
        v = self.raw(key)
        if v is None:
            return None

        def one(x: object, p: str) -> str:
            if not isinstance(x, str) or not x or len(x) > max_len or "\x00" in x:
                raise self.error(p, f"must be a non-empty string of at most {max_len} characters")
            return x

        return tuple(self._list(key, v, one))

    def language(self, key: str) -> str | None:
        """A BCP 47 language tag, read in any case and given back in canonical case."""
        v = self.raw(key)
        if v is None:
            return None
        return _language(v, self.at(key), self.error)

    def languages(self, key: str) -> tuple[str, ...] | None:
        """Language tags, canonical case, sorted; a tag given twice (in any case) is an error."""
        v = self.raw(key)
        if v is None:
            return None
        tags = self._list(key, v, lambda x, p: _language(x, p, self.error))
        seen: set[str] = set()
        for i, tag in enumerate(tags):
            if tag in seen:
                raise self.error(f"{self.at(key)}[{i}]", f"repeats the language {tag!r}")
            seen.add(tag)
        return tuple(sorted(tags))

    def unique_codes(self, key: str, enum: type[E]) -> frozenset[E] | None:
        """Like ``codes``, but a code given twice is an error."""
        v = self.raw(key)
        if v is None:
            return None
        items = self._list(key, v, lambda x, p: _code(x, enum, p, self.error))
        if len(set(items)) != len(items):
            raise self.fail(key, "must not repeat a code")
        return frozenset(items)

    def _list(self, key: str, v: object, item: Callable[[object, str], T]) -> list[T]:
        if not isinstance(v, list):
            raise self.fail(key, "must be a list")
        if len(v) > MAX_LIST:
            raise self.fail(key, f"must have at most {MAX_LIST} items")
        return [item(x, f"{self.at(key)}[{i}]") for i, x in enumerate(v)]

    def date(self, key: str, *, not_after: dt.date | None = None) -> dt.date | None:
        v = self.raw(key)
        if v is None:
            return None
        if not isinstance(v, str):
            raise self.fail(key, "must be a date (YYYY-MM-DD)")
        try:
            d = dt.date.fromisoformat(v)
        except ValueError:
            raise self.fail(key, f"must be a date (YYYY-MM-DD), not {v!r}") from None
        if len(v) != 10:
            raise self.fail(key, f"must be a date (YYYY-MM-DD), not {v!r}")
        if not_after is not None and d > not_after:
            raise self.fail(key, f"must not be in the future ({v} is after {not_after})")
        return d

    def timestamp(self, key: str) -> dt.datetime | None:
        v = self.raw(key)
        if v is None:
            return None
        if not isinstance(v, str):
            raise self.fail(key, "must be a date and time (ISO 8601)")
        try:
            t = dt.datetime.fromisoformat(v)
        except ValueError:
            raise self.fail(key, f"must be a date and time (ISO 8601), not {v!r}") from None
        return t if t.tzinfo else t.replace(tzinfo=dt.UTC)

    def object(self, key: str, *, required: bool = False) -> _Reader | None:
        v = self.raw(key, required=required)
        if v is None:
            if required:
                raise self.fail(key, "is required")
            return None
        return _Reader(v, self.at(key), self.error, strict=self.strict)

    def done(self) -> None:
        """Reject fields nobody read (strict mode)."""
        if not self.strict:
            return
        extra = sorted(set(self.data) - self.seen)
        if extra:
            raise self.fail(extra[0], "is not a known field")


def _code(v: object, enum: type[E], path: str, error: type[PathwaysError]) -> E:
    if isinstance(v, str):
        # The enum's own value map: a dict lookup, where calling the enum costs ten times more.
        member = enum._value2member_map_.get(v)
        if member is not None:
            return cast(E, member)
    allowed = ", ".join(str(m.value) for m in enum)
    raise error(path, f"must be one of: {allowed}; not {v!r}")


def _language(v: object, path: str, error: type[PathwaysError]) -> str:
    if not isinstance(v, str):
        raise error(path, "must be a language tag (BCP 47) such as en, pl, pt-BR or bfi")
    try:
        return language_tag(v)
    except ValueError as exc:
        raise error(path, str(exc)) from None


def _severity(v: object, path: str, error: type[PathwaysError]) -> Severity:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 3:
        raise error(path, f"must be a severity from 0 to 3, not {v!r}")
    return Severity(v)


# --------------------------------------------------------------------------- directory


def eligibility_from_dict(value: object, path: str, *, strict: bool = True) -> Eligibility:
    if value is None:
        return Eligibility()
    r = _Reader(value, path, DirectoryError, strict=strict)
    min_age = r.integer("min_age", lo=0, hi=120)
    max_age = r.integer("max_age", lo=0, hi=120)
    if min_age is not None and max_age is not None and min_age > max_age:
        raise r.fail("min_age", f"must not be above max_age ({min_age} > {max_age})")
    areas = r.texts("areas", max_len=9)
    for i, area in enumerate(areas or ()):
        if not AREA_CODE.match(area):
            raise DirectoryError(f"{r.at('areas')}[{i}]", f"is not an ONS area code: {area!r}")
    min_sev = r.raw("min_severity")
    max_sev = r.raw("max_severity")
    lo = None if min_sev is None else _severity(min_sev, r.at("min_severity"), DirectoryError)
    hi = None if max_sev is None else _severity(max_sev, r.at("max_severity"), DirectoryError)
    if lo is not None and hi is not None and lo > hi:
        raise r.fail("min_severity", "must not be above max_severity")
    alternatives = r.raw("any_of")
    if alternatives is not None and not isinstance(alternatives, list):
        raise r.fail("any_of", "must be a list")
    e = Eligibility(
        min_age=min_age,
        max_age=max_age,
        areas=frozenset(areas) if areas is not None else None,
        incident_kinds=r.codes("incident_kinds", IncidentKind),
        victim_roles=r.codes("victim_roles", VictimRole),
        risk_levels=r.codes("risk_levels", RiskLevel),
        requires_police_report=r.boolean("requires_police_report"),
        sexes=r.codes("sexes", Sex),
        max_days_since_incident=r.integer("max_days_since_incident", lo=0, hi=36500),
        self_referral=r.boolean("self_referral"),
        min_severity=lo,
        max_severity=hi,
        flags_any=r.codes("flags_any", RiskFlag),
        requires_court_case=r.boolean("requires_court_case"),
        any_of=tuple(
            eligibility_from_dict(alt, f"{r.at('any_of')}[{i}]", strict=strict)
            for i, alt in enumerate(alternatives or ())
        ),
    )
    r.done()
    return e


def service_from_dict(value: object, path: str = "service", *, strict: bool = True) -> Service:
    r = _Reader(value, path, DirectoryError, strict=strict)
    sid = r.text("id", required=True, max_len=100)
    assert sid is not None
    if sid.startswith("entry:"):
        raise r.fail("id", "must not start with 'entry:' (reserved for entry nodes)")
    provider_id = r.text("provider_id", required=True, max_len=100)
    name = r.text("name", required=True, max_len=200)
    needs_raw = r.raw("needs", required=True)
    needs = tuple(r._list("needs", needs_raw, lambda x, p: _code(x, Need, p, DirectoryError)))
    if not needs:
        raise r.fail("needs", "must list at least one need")
    if len(set(needs)) != len(needs):
        raise r.fail("needs", "must not repeat a need")
    specialisms = r.codes("specialisms", Need) or frozenset()
    if not specialisms <= set(needs):
        extra = sorted(s.value for s in specialisms - set(needs))
        raise r.fail("specialisms", f"must be a subset of needs; not in needs: {extra}")
    cap = r.object("capacity")
    capacity = Capacity()
    if cap is not None:
        capacity = Capacity(
            status=cap.code("status", CapacityStatus, required=True) or CapacityStatus.GREEN,
            available=cap.integer("available", lo=0, hi=1_000_000),
            maximum=cap.integer("maximum", lo=0, hi=1_000_000),
            updated=cap.timestamp("updated"),
        )
        cap.done()
    contact_raw = r.raw("contact")
    contact: list[tuple[str, str]] = []
    if contact_raw is not None:
        c = _Reader(contact_raw, r.at("contact"), DirectoryError, strict=False)
        for key in sorted(c.data):
            v = c.text(key, max_len=500)
            if v is not None:
                contact.append((key, v))
    service = Service(
        id=sid,
        provider_id=provider_id or "",
        name=name or "",
        needs=needs,
        specialisms=specialisms,
        eligibility=eligibility_from_dict(r.raw("eligibility"), r.at("eligibility"), strict=strict),
        capacity=capacity,
        response_hours=r.integer("response_hours", lo=1, hi=24 * 90) or 72,
        description=r.text("description", max_len=MAX_TEXT) or "",
        contact=tuple(contact),
        languages=r.languages("languages") or (),
        interpreters=bool(r.boolean("interpreters")),
        access=r.unique_codes("access", AccessNeed) or frozenset(),
    )
    r.done()
    return service


def directory_from_dict(doc: object, *, strict: bool = True) -> Directory:
    """Read and validate a directory document or snapshot (API.md's ``GET /snapshot`` shape).

    ``strict=False`` ignores fields this version does not know (a newer directory may add some);
    codes, types and references are checked either way.
    """
    r = _Reader(doc, "", DirectoryError, strict=strict)
    version = r.raw("version", required=True)
    if not isinstance(version, str | int) or isinstance(version, bool) or str(version) == "":
        raise r.fail("version", "must be a non-empty string")
    r.raw("providers")  # carried for seeding; graph/ does not route on providers
    services_raw = r.raw("services", required=True)
    if not isinstance(services_raw, list):
        raise r.fail("services", "must be a list")
    services = tuple(
        service_from_dict(s, f"services[{i}]", strict=strict) for i, s in enumerate(services_raw)
    )
    ids: dict[str, Service] = {}
    for i, s in enumerate(services):
        if s.id in ids:
            raise DirectoryError(f"services[{i}].id", f"repeats the id {s.id!r}")
        ids[s.id] = s
    pathways_raw = r.raw("pathways", required=True)
    if not isinstance(pathways_raw, list):
        raise r.fail("pathways", "must be a list")
    pathways: list[Pathway] = []
    pairs: set[tuple[str, str]] = set()
    self_ok = {sid for sid, s in ids.items() if s.eligibility.accepts_self_referral}
    for i, p in enumerate(pathways_raw):
        # A snapshot holds many pathways and almost never a bad one: take the plain ones
        # straight, and read anything else field by field for the exact error.
        fast = _plain_pathway(p, ids, self_ok, pairs)
        if fast is not None:
            pairs.add((fast.from_node, fast.to_service))
            pathways.append(fast)
            continue
        pr = _Reader(p, f"pathways[{i}]", DirectoryError, strict=strict)
        pid = pr.raw("id")
        source = pr.text("from_service", required=True, max_len=100) or ""
        target = pr.text("to_service", required=True, max_len=100) or ""
        days = pr.number("days")
        pr.done()
        if source not in ids and source not in ENTRY_NODES:
            raise pr.fail("from_service", f"names no service: {source!r}")
        if target not in ids:
            raise pr.fail("to_service", f"names no service: {target!r}")
        if source == target:
            raise pr.fail("to_service", "must differ from from_service")
        if (source, target) in pairs:
            raise pr.fail("to_service", f"repeats the pathway {source} → {target}")
        if source == ENTRY_SELF and not ids[target].eligibility.accepts_self_referral:
            raise pr.fail(
                "to_service", f"{target!r} does not accept self-referrals, so entry:self cannot"
            )
        pairs.add((source, target))
        pathways.append(
            Pathway(
                from_node=source,
                to_service=target,
                days=1.0 if days is None else days,
                id=None if pid is None else str(pid),
            )
        )
    r.done()
    return Directory(version=str(version), services=services, pathways=tuple(pathways))


_PATHWAY_KEYS = frozenset({"id", "from_service", "to_service", "days"})


def _plain_pathway(
    p: object, ids: Mapping[str, Service], self_ok: set[str], pairs: set[tuple[str, str]]
) -> Pathway | None:
    """The pathway, when every field is plainly valid (what the full reading would accept);
    None sends it to the full reading, which names what is wrong."""
    if type(p) is not dict or not p.keys() <= _PATHWAY_KEYS:
        return None
    source, target, days, pid = (
        p.get("from_service"),
        p.get("to_service"),
        p.get("days", 1.0),
        p.get("id"),
    )
    if (
        type(source) is not str
        or type(target) is not str
        or target not in ids
        or source == target
        or (source not in ids and source not in ENTRY_NODES)
        or (source == ENTRY_SELF and target not in self_ok)
        or (source, target) in pairs
        or type(days) not in (int, float)
        or not 0.0 <= days <= 365.0
        or (pid is not None and type(pid) not in (str, int))
    ):
        return None
    return Pathway(
        from_node=source,
        to_service=target,
        days=float(days),
        id=None if pid is None else str(pid),
    )


def load_directory_document(path: str | Path | None = None) -> dict[str, Any]:
    """The raw JSON of a directory file; the shipped one when ``path`` is None."""
    if path is None:
        text = resources.files("graph").joinpath("data", SHIPPED_DIRECTORY).read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DirectoryError("", f"is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise DirectoryError("", "must be a JSON object")
    return doc


def load_directory(path: str | Path | None = None) -> Directory:
    """Load and validate a directory file; the shipped Cambridgeshire and Peterborough one
    when ``path`` is None."""
    return directory_from_dict(load_directory_document(path))


def _drop_none_only(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != []}


def _sorted_codes(codes: Iterable[Enum] | None) -> list[str] | None:
    return None if codes is None else sorted(str(c.value) for c in codes)


def eligibility_to_dict(e: Eligibility) -> dict[str, Any]:
    # Only None is left out: an empty list is a restriction that takes nobody.
    return _drop_none_only(
        {
            "min_age": e.min_age,
            "max_age": e.max_age,
            "areas": sorted(e.areas) if e.areas is not None else None,
            "incident_kinds": _sorted_codes(e.incident_kinds),
            "victim_roles": _sorted_codes(e.victim_roles),
            "risk_levels": _sorted_codes(e.risk_levels),
            "requires_police_report": e.requires_police_report,
            "sexes": _sorted_codes(e.sexes),
            "max_days_since_incident": e.max_days_since_incident,
            "self_referral": e.self_referral,
            "min_severity": None if e.min_severity is None else int(e.min_severity),
            "max_severity": None if e.max_severity is None else int(e.max_severity),
            "flags_any": _sorted_codes(e.flags_any),
            "requires_court_case": e.requires_court_case,
            "any_of": [eligibility_to_dict(a) for a in e.any_of] or None,
        }
    )


def service_to_dict(s: Service) -> dict[str, Any]:
    """The service in the snapshot's shape. Language and access fields appear only when
    declared, so a directory that declares none is written exactly as before they existed."""
    c = s.capacity
    doc: dict[str, Any] = {
        "id": s.id,
        "provider_id": s.provider_id,
        "name": s.name,
        "description": s.description,
        "needs": [n.value for n in s.needs],
        "specialisms": [n.value for n in s.needs if n in s.specialisms],
        "eligibility": eligibility_to_dict(s.eligibility),
        "capacity": {
            "status": c.status.value,
            "available": c.available,
            "maximum": c.maximum,
            "updated": c.updated.isoformat() if c.updated else None,
        },
        "response_hours": s.response_hours,
        "contact": dict(s.contact),
    }
    if s.languages:
        doc["languages"] = list(s.languages)
    if s.interpreters:
        doc["interpreters"] = True
    if s.access:
        doc["access"] = sorted(a.value for a in s.access)
    return doc


def directory_to_dict(d: Directory) -> dict[str, Any]:
    """The snapshot shape of API.md; ``directory_from_dict`` reads it back unchanged."""
    return {
        "version": d.version,
        "services": [service_to_dict(s) for s in d.services],
        "pathways": [
            _drop_none(
                {
                    "id": p.id,
                    "from_service": p.from_node,
                    "to_service": p.to_service,
                    "days": p.days,
                }
            )
            for p in d.pathways
        ],
    }


# --------------------------------------------------------------------------- referrals


def referral_from_dict(body: object, *, today: dt.date) -> Referral:
    """Read a referral request (API.md) strictly. Dates after ``today`` are refused.

    >>> r = referral_from_dict({"source": {"kind": "self"}, "victim": {"area": "E06000031"},
    ...     "incident": {"kind": "theft"}, "assessment": {"needs": {"finance": 2}}},
    ...     today=dt.date(2026, 11, 26))
    >>> r.assessment.needs[Need.FINANCE]
    <Severity.MODERATE: 2>
    """
    top = _Reader(body, "", InputError)
    src = top.object("source", required=True)
    assert src is not None
    source = src.code("kind", SourceKind, required=True)
    src.text("reference", max_len=100)
    src.done()

    v = top.object("victim", required=True)
    assert v is not None
    area = v.text("area", required=True, max_len=9) or ""
    if not AREA_CODE.match(area):
        raise v.fail("area", f"must be an ONS area code such as E07000008, not {area!r}")
    refused = v.texts("refused_services", max_len=100) or ()
    contact = ContactPreferences()
    c = v.object("contact")
    if c is not None:
        channels = c.codes("channels", ContactChannel)
        contact = ContactPreferences(
            channels=tuple(sorted(channels or ())),
            safe_times=c.text("safe_times", max_len=200),
            do_not_contact=bool(c.boolean("do_not_contact")),
        )
        c.done()
    victim = Victim(
        area=area,
        role=v.code("role", VictimRole) or VictimRole.DIRECT,
        age=v.integer("age", lo=0, hi=120),
        sex=v.code("sex", Sex),
        consent_to_share=bool(v.boolean("consent_to_share")),
        refused_services=frozenset(refused),
        contact=contact,
        language=v.language("language"),
        interpreter=bool(v.boolean("interpreter")),
        access_needs=v.codes("access_needs", AccessNeed) or frozenset(),
    )
    v.done()

    inc = top.object("incident", required=True)
    assert inc is not None
    occurred = inc.date("occurred_on", not_after=today)
    reported = inc.date("reported_on", not_after=today)
    if occurred is not None and reported is not None and reported < occurred:
        raise inc.fail("reported_on", "must not be before occurred_on")
    incident = Incident(
        kind=inc.code("kind", IncidentKind, required=True) or IncidentKind.OTHER,
        reported_to_police=bool(inc.boolean("reported_to_police")),
        occurred_on=occurred,
        reported_on=reported,
        going_to_court=inc.boolean("going_to_court"),
    )
    inc.done()

    assessment = assessment_from_dict(top.raw("assessment", required=True), today=today)
    top.done()
    assert source is not None
    return Referral(source=source, victim=victim, incident=incident, assessment=assessment)


def assessment_from_dict(value: object, *, today: dt.date, path: str = "assessment") -> Assessment:
    """Read an assessment (the ``assessment`` of a referral, or a reassessment body)."""
    a = _Reader(value, path, InputError)
    needs_raw = a.raw("needs", required=True)
    if not isinstance(needs_raw, Mapping):
        raise a.fail("needs", "must be an object of need code to severity (0–3)")
    needs: dict[Need, Severity] = {}
    for key, sev in needs_raw.items():
        need = _code(key, Need, a.at(f"needs.{key}"), InputError)
        needs[need] = _severity(sev, a.at(f"needs.{key}"), InputError)
    assessment = Assessment(
        needs=needs,
        risk_level=a.code("risk_level", RiskLevel),
        dash_score=a.integer("dash_score", lo=0, hi=24),
        flags=a.codes("flags", RiskFlag) or frozenset(),
        incidents_last_12_months=a.integer("incidents_last_12_months", lo=0, hi=1000),
        last_marac_referral_on=a.date("last_marac_referral_on", not_after=today),
    )
    a.done()
    return assessment


# --------------------------------------------------------------------------- plans out


def rejection_to_dict(r: Rejection) -> dict[str, Any]:
    return {"service_id": r.service_id, "failed": [c.value for c in r.failed]}


def explanation_to_dict(e: Explanation) -> dict[str, Any]:
    return {
        "role": e.role,
        "summary": e.summary,
        "needs_met": [n.value for n in e.needs_met],
        "specialist_for": [n.value for n in e.specialist_for],
        "passed": [c.value for c in e.passed],
        "confirm": [c.value for c in e.confirm],
        "path": list(e.path),
        "capacity": e.capacity.value,
        "capacity_stale": e.capacity_stale,
        "continuity": e.continuity,
        "alternatives": list(e.alternatives),
        "rejected": [rejection_to_dict(r) for r in e.rejected],
    }


def handover_to_dict(h: PlannedHandover, *, handover_id: str | None = None) -> dict[str, Any]:
    return {
        "id": handover_id,
        "service_id": h.service_id,
        "from": h.from_node,
        "needs": [n.value for n in h.needs],
        "status": h.status.value,
        "mode": h.mode.value,
        "lead": h.lead,
        "explanation": explanation_to_dict(h.explanation),
    }


def unmet_to_dict(u: UnmetNeed) -> dict[str, Any]:
    return {
        "need": u.need.value,
        "severity": int(u.severity),
        "reasons": [rejection_to_dict(r) for r in u.reasons],
    }


def implied_to_dict(i: ImpliedNeed) -> dict[str, Any]:
    return {"need": i.need.value, "severity": int(i.severity), "reason": i.reason}


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "directory_version": plan.directory_version,
        "entry": plan.entry,
        "lead": plan.lead,
        "mode": plan.mode.value,
        "handovers": [handover_to_dict(h) for h in plan.handovers],
        "unmet": [unmet_to_dict(u) for u in plan.unmet],
        "implied_needs": [implied_to_dict(i) for i in plan.implied],
    }


def risk_to_dict(risk: RiskAssessment) -> dict[str, Any]:
    return {
        "risk_level": risk.level.value,
        "enhanced": risk.enhanced,
        "enhanced_reasons": list(risk.enhanced_reasons),
        "marac": None
        if risk.marac is None
        else {
            "due": risk.marac.due,
            "criterion": risk.marac.criterion.value,
            "criteria": [c.value for c in risk.marac.criteria],
        },
        "risk_notes": list(risk.notes),
    }


def diff_to_dict(diff: Diff) -> dict[str, Any]:
    return {
        "start": [handover_to_dict(h) for h in diff.start],
        "keep": [
            {"service_id": k.service_id, "needs": [n.value for n in k.needs], "lead": k.lead}
            for k in diff.keep
        ],
        "release": [
            {
                "service_id": r.service_id,
                "reason": r.reason,
                "after": list(r.after),
                "acting_lead": r.acting_lead,
            }
            for r in diff.release
        ],
        "lead_before": diff.lead_before,
        "lead_after": diff.lead_after,
    }


def canonical_json(value: object) -> str:
    """Byte-stable JSON: sorted keys, fixed separators, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
