"""HTML forms to the API's input shapes, and every error back to the field it belongs to.

Nothing here validates: a form is turned into the JSON body the API would receive (whole numbers
where the text is one, the text itself where it is not, so that the API's own schema says what
is wrong) and handed to the same pydantic models and service functions. Their errors, located
by ``loc`` as in a 422 problem document, are mapped back onto the form's fields.

A field's HTML ``name`` is its dotted path in the API body (``eligibility.min_age``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from graph.vocabulary import Need
from services.common.errors import FieldError, ProblemError

from . import labels

# --------------------------------------------------------------------------- reading forms


class Form:
    """The text fields of a submitted form (file uploads, which no console form has, ignored)."""

    def __init__(self, data: FormData) -> None:
        self._data = data

    def text(self, name: str) -> str:
        value = self._data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def texts(self, name: str) -> list[str]:
        return [v.strip() for v in self._data.getlist(name) if isinstance(v, str) and v.strip()]

    def checked(self, name: str) -> bool:
        return self.text(name) != ""


def whole_number(text: str) -> int | str | None:
    """``None`` for an empty field, an int for a whole number, else the text (the schema then
    says it is not a number)."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return text


def yes_no(text: str) -> bool | None:
    """A "not set / yes / no" select."""
    return {"true": True, "false": False}.get(text)


def _put(body: dict[str, Any], key: str, value: Any) -> None:
    # Left out, not null: an empty field means "no restriction" or "keep as it is".
    if value is not None and value != []:
        body[key] = value


# --------------------------------------------------------------------------- errors


@dataclass
class Problems:
    """Errors by field name (``eligibility.min_age``), and those that belong to no field."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str | None, message: str) -> None:
        if name is None:
            self.general.append(message)
        else:
            self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)


def _friendly(name: str, kind: str, message: str) -> str:
    """The schema's message, in plainer words where pydantic's would puzzle a non-developer."""
    if kind in {"int_parsing", "int_type"}:
        return "Enter a whole number"
    if kind == "string_pattern_mismatch":
        if name.endswith("areas"):
            return "Enter ONS area codes such as E07000008"
        if name in ("id", "provider_id"):
            return "Use lowercase letters, digits and hyphens, such as idva-cambridgeshire"
        if name == "languages":
            return "Enter language tags such as en, pl, pt-BR or bfi (British Sign Language)"
    if kind == "missing":
        return "This is required"
    if kind == "json_invalid":
        return message
    return message[:1].upper() + message[1:] if message else "Not valid"


def field_for(loc: Sequence[str | int], message: str, known: Iterable[str]) -> str | None:
    """The form field an error at ``loc`` belongs to, or None.

    ``loc`` may start with ``body`` (a domain error) or not (a pydantic error); list indexes are
    skipped (an error in one area code belongs to the areas). The deepest known field on the
    path wins. A model-level error ("min_age must not be above max_age", at ``eligibility``) goes
    to the field its message starts with, when the form has it.
    """
    known = set(known)
    parts = [p for p in loc if isinstance(p, str)]
    if parts[:1] == ["body"]:
        parts = parts[1:]
    first_word = message.split(" ", 1)[0]
    for end in range(len(parts), -1, -1):
        name = ".".join(parts[:end])
        named = f"{name}.{first_word}" if name else first_word
        if end == len(parts) and named in known:
            return named
        if name in known:
            return name
    return None


def problems_from(
    errors: Iterable[FieldError | Mapping[str, Any]],
    known: Iterable[str],
    *,
    aliases: Mapping[str, str] | None = None,
) -> Problems:
    """Errors from a ``ValidationError`` or a ``ProblemError`` mapped onto the form's fields;
    ``aliases`` sends an error at a body path to the form field that edits it."""
    known = set(known) | set((aliases or {}).keys())
    out = Problems()
    for error in errors:
        if isinstance(error, FieldError):
            loc, msg, kind = list(error.loc), error.msg, error.type
        else:
            loc, msg, kind = (
                list(error.get("loc", ())),
                str(error.get("msg", "")),
                str(error.get("type", "")),
            )
        msg = msg.removeprefix("Value error, ")  # pydantic's prefix for a validator's words
        name = field_for(loc, msg, known)
        if name is not None and aliases and name in aliases:
            name = aliases[name]
        out.add(name, _friendly(name or "", kind, msg))
    return out


def validation_problems(exc: ValidationError, known: Iterable[str], **kw: Any) -> Problems:
    return problems_from(exc.errors(include_url=False, include_context=False), known, **kw)


def domain_problems(exc: ProblemError, known: Iterable[str], **kw: Any) -> Problems:
    if exc.errors:
        return problems_from(exc.errors, known, **kw)
    out = Problems()
    out.add(None, exc.detail)
    return out


# --------------------------------------------------------------------------- the service form

SERVICE_FIELDS: dict[str, str] = {
    "id": "Service id",
    "provider_id": "Provider",
    "name": "Name",
    "description": "Description",
    "needs": "Needs it meets",
    "main_need": "Main need",
    "specialisms": "Specialisms",
    "response_hours": "Hours to answer a handover",
    "eligibility.min_age": "Minimum age",
    "eligibility.max_age": "Maximum age",
    "eligibility.areas": "Areas served",
    "eligibility.incident_kinds": "Kinds of incident",
    "eligibility.victim_roles": "Victim roles",
    "eligibility.risk_levels": "Risk levels",
    "eligibility.requires_police_report": "Police report",
    "eligibility.sexes": "Single-sex provision",
    "eligibility.max_days_since_incident": "Days since the incident, at most",
    "eligibility.self_referral": "Self-referral",
    "eligibility.min_severity": "Lowest severity of need",
    "eligibility.max_severity": "Highest severity of need",
    "eligibility.flags_any": "Risk flags (any of)",
    "eligibility.requires_court_case": "Court case",
    "eligibility.any_of": "Alternative criteria",
    "eligibility": "Eligibility",
    "capacity.status": "Capacity status",
    "capacity.available": "Places available",
    "capacity.maximum": "Places in all",
    "capacity": "Capacity",
    "contact.phone": "Phone",
    "contact.email": "Email",
    "contact.url": "Website",
    "contact.other": "Other contact details",
    "contact": "Contact details",
    "languages": "Languages",
    "interpreters": "Interpreters",
    "access": "Access",
    "webhook.url": "Webhook URL",
    "webhook.secret": "Webhook secret",
    "webhook": "Webhook",
}
"""Every field of the service form, with the label its errors are reported under."""

CONTACT_FIELDS = ("phone", "email", "url")
_ELIGIBILITY_LISTS = ("incident_kinds", "victim_roles", "risk_levels", "sexes", "flags_any")
_ELIGIBILITY_NUMBERS = (
    "min_age",
    "max_age",
    "max_days_since_incident",
    "min_severity",
    "max_severity",
)
_ELIGIBILITY_FLAGS = ("requires_police_report", "self_referral", "requires_court_case")
_SPLIT = re.compile(r"[\s,;]+")
_CONTACT_LINE = re.compile(r"^([^:]+):\s*(.*)$")


def _need_order(checked: Sequence[str], main: str, previous: Sequence[str]) -> list[str]:
    """The main need first, then the others in the order the service had them, then new ones
    in the vocabulary's order (graph reads ``needs[0]`` as the main need)."""
    chosen = set(checked) | ({main} if main else set())
    rest = [n for n in previous if n in chosen and n != main]
    rest += [n.value for n in Need if n.value in chosen and n.value != main and n not in rest]
    return ([main] if main else []) + rest


def service_body(
    form: Form,
    *,
    creating: bool,
    previous_needs: Sequence[str] = (),
    current_webhook_url: str | None = None,
) -> tuple[dict[str, Any], Problems]:
    """The body of ``POST /services`` (creating) or ``PATCH /services/{id}`` from the service
    form, and what could not even be read (JSON that does not parse, a contact line without a
    colon).

    Editing, the webhook is left out (kept, secret and all) while its URL is unchanged and no
    new secret is typed; an emptied URL removes it.
    """
    unreadable = Problems()
    body: dict[str, Any] = {}
    if creating:
        body["id"] = form.text("id")
    body["provider_id"] = form.text("provider_id")
    body["name"] = form.text("name")
    body["description"] = form.text("description")
    body["needs"] = _need_order(form.texts("needs"), form.text("main_need"), previous_needs)
    body["specialisms"] = form.texts("specialisms")
    _put(body, "response_hours", whole_number(form.text("response_hours")))

    eligibility: dict[str, Any] = {}
    for name in _ELIGIBILITY_NUMBERS:
        _put(eligibility, name, whole_number(form.text(f"eligibility.{name}")))
    areas = form.texts("eligibility.areas")
    areas += [a for a in _SPLIT.split(form.text("eligibility.other_areas")) if a]
    _put(eligibility, "areas", list(dict.fromkeys(areas)))
    for name in _ELIGIBILITY_LISTS:
        _put(eligibility, name, form.texts(f"eligibility.{name}"))
    for name in _ELIGIBILITY_FLAGS:
        _put(eligibility, name, yes_no(form.text(f"eligibility.{name}")))
    alternatives = form.text("eligibility.any_of")
    if alternatives:
        try:
            eligibility["any_of"] = json.loads(alternatives)
        except ValueError as exc:
            unreadable.add("eligibility.any_of", f"Not valid JSON: {exc}")
    body["eligibility"] = eligibility

    contact: dict[str, str] = {}
    for name in CONTACT_FIELDS:
        if value := form.text(f"contact.{name}"):
            contact[name] = value
    for number, line in enumerate(form.text("contact.other").splitlines(), start=1):
        if not line.strip():
            continue
        match = _CONTACT_LINE.match(line.strip())
        if match is None:
            unreadable.add("contact.other", f"Line {number}: write it as name: value")
            continue
        contact[match.group(1).strip()] = match.group(2).strip()
    body["contact"] = contact
    # Always sent, so that emptying the field or unticking a box takes the declaration away.
    body["languages"] = [t for t in _SPLIT.split(form.text("languages")) if t]
    body["interpreters"] = form.checked("interpreters")
    body["access"] = form.texts("access")

    if creating:
        status = form.text("capacity.status")
        if status:
            capacity: dict[str, Any] = {"status": status}
            _put(capacity, "available", whole_number(form.text("capacity.available")))
            _put(capacity, "maximum", whole_number(form.text("capacity.maximum")))
            body["capacity"] = capacity
    url, secret = form.text("webhook.url"), form.text("webhook.secret")
    if form.checked("webhook.remove") or (not creating and current_webhook_url and not url):
        body["webhook"] = None
    elif not creating and url == current_webhook_url and not secret:
        pass
    elif url:
        webhook: dict[str, Any] = {"url": url}
        _put(webhook, "secret", secret or None)
        body["webhook"] = webhook
    return body, unreadable


def service_values(service: Mapping[str, Any] | None) -> dict[str, Any]:
    """The service form's values for an existing service (the API representation)."""
    if service is None:
        return {
            "needs": [],
            "specialisms": [],
            "eligibility.areas": [],
            "response_hours": "72",
            "capacity.status": "green",
            "languages": "",
            "interpreters": False,
            "access": [],
        }
    eligibility: Mapping[str, Any] = service.get("eligibility") or {}
    values: dict[str, Any] = {
        "id": service["id"],
        "provider_id": service["provider_id"],
        "name": service["name"],
        "description": service.get("description", ""),
        "needs": list(service["needs"]),
        "main_need": service["needs"][0] if service["needs"] else "",
        "specialisms": list(service.get("specialisms") or []),
        "response_hours": str(service.get("response_hours", "")),
        "languages": " ".join(service.get("languages") or []),
        "interpreters": bool(service.get("interpreters")),
        "access": list(service.get("access") or []),
    }
    for name in _ELIGIBILITY_NUMBERS:
        value = eligibility.get(name)
        values[f"eligibility.{name}"] = "" if value is None else str(value)
    areas = list(eligibility.get("areas") or [])
    values["eligibility.areas"] = [a for a in areas if a in labels.AREAS]
    values["eligibility.other_areas"] = " ".join(a for a in areas if a not in labels.AREAS)
    for name in _ELIGIBILITY_LISTS:
        values[f"eligibility.{name}"] = list(eligibility.get(name) or [])
    for name in _ELIGIBILITY_FLAGS:
        value = eligibility.get(name)
        values[f"eligibility.{name}"] = "" if value is None else ("true" if value else "false")
    alternatives = eligibility.get("any_of")
    values["eligibility.any_of"] = (
        json.dumps(alternatives, indent=2, ensure_ascii=False) if alternatives else ""
    )
    contact: Mapping[str, str] = service.get("contact") or {}
    for name in CONTACT_FIELDS:
        values[f"contact.{name}"] = contact.get(name, "")
    values["contact.other"] = "\n".join(
        f"{k}: {v}" for k, v in contact.items() if k not in CONTACT_FIELDS
    )
    webhook = service.get("webhook")
    values["webhook.url"] = webhook["url"] if isinstance(webhook, Mapping) else ""
    values["webhook.set"] = isinstance(webhook, Mapping)
    return values


def submitted_values(form: Form) -> dict[str, Any]:
    """The service form's values as the person typed them, to show them again with errors."""
    values: dict[str, Any] = {}
    for name in SERVICE_FIELDS:
        if name in ("needs", "specialisms", "access") or name.removeprefix("eligibility.") in (
            *_ELIGIBILITY_LISTS,
            "areas",
        ):
            values[name] = form.texts(name)
        else:
            values[name] = form.text(name)
    values["eligibility.other_areas"] = form.text("eligibility.other_areas")
    values["webhook.remove"] = form.checked("webhook.remove")
    values["interpreters"] = form.checked("interpreters")
    return values


# --------------------------------------------------------------------------- the profile form

PROFILE_FIELDS: dict[str, str] = {
    "source.kind": "Referred by",
    "victim.age": "Age",
    "victim.area": "Area",
    "victim.sex": "Sex",
    "victim.role": "Role",
    "victim.consent_to_share": "Consent to share",
    "incident.kind": "Kind of incident",
    "incident.reported_to_police": "Reported to the police",
    "incident.occurred_on": "Date of the incident",
    "incident.going_to_court": "Going to court",
    "assessment.dash_score": "DASH score",
    "assessment.risk_level": "Risk level",
    "assessment.flags": "Risk flags",
    "assessment.needs": "Needs",
}
"""Every field of the "try a referral" form, with its label."""


def profile_body(form: Form) -> tuple[dict[str, Any], Problems]:
    """A referral's ``source``, ``victim``, ``incident`` and ``assessment`` from the form."""
    unreadable = Problems()
    victim: dict[str, Any] = {"area": form.text("victim.area")}
    _put(victim, "age", whole_number(form.text("victim.age")))
    _put(victim, "sex", form.text("victim.sex") or None)
    _put(victim, "role", form.text("victim.role") or None)
    _put(victim, "consent_to_share", yes_no(form.text("victim.consent_to_share")))
    incident: dict[str, Any] = {"kind": form.text("incident.kind")}
    _put(incident, "reported_to_police", yes_no(form.text("incident.reported_to_police")))
    _put(incident, "occurred_on", form.text("incident.occurred_on") or None)
    _put(incident, "going_to_court", yes_no(form.text("incident.going_to_court")))
    assessment: dict[str, Any] = {}
    _put(assessment, "dash_score", whole_number(form.text("assessment.dash_score")))
    _put(assessment, "risk_level", form.text("assessment.risk_level") or None)
    _put(assessment, "flags", form.texts("assessment.flags"))
    needs: dict[str, Any] = {}
    for need in Need:
        severity = whole_number(form.text(f"need.{need.value}"))
        if severity is not None:
            needs[need.value] = severity
    assessment["needs"] = needs
    body = {
        "source": {"kind": form.text("source.kind") or "police"},
        "victim": victim,
        "incident": incident,
        "assessment": assessment,
    }
    return body, unreadable


def profile_values(form: Form | None) -> dict[str, Any]:
    """The "try a referral" form's values: as typed, or the defaults."""
    if form is None:
        return {
            "source.kind": "police",
            "victim.role": "direct",
            "victim.consent_to_share": "true",
            "victim.area": "E07000008",
            "assessment.flags": [],
        }
    values: dict[str, Any] = {name: form.text(name) for name in PROFILE_FIELDS}
    values["assessment.flags"] = form.texts("assessment.flags")
    for need in Need:
        values[f"need.{need.value}"] = form.text(f"need.{need.value}")
    return values
