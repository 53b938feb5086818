"""What schemathesis needs to know about Pathways beyond the OpenAPI documents: registered on
import, by the contract tests and by ``schemathesis run`` (schemathesis.toml names this module).

Some of the services' rules cannot be written in JSON Schema: ``available`` not above
``maximum``, ``specialisms`` a subset of ``needs``, ``min_age`` not above ``max_age``, dates not
in the future, a webhook on a public https host. Two things follow:

- ``before_call`` makes each *schema-valid* (positive) request meet those rules before it is
  sent, as schemathesis's guide advises ("extend generators to match runtime rules"), so that
  positive cases reach the code behind the validation and stateful runs can create, read and
  change things. Negative cases are left exactly as generated.
- A 422 can still meet schema-valid data (a reference to nothing, a cursor never given out, a
  rule not repaired here), so schemathesis.toml lets ``positive_data_acceptance`` see one;
  ``refused_only_for_rules_beyond_the_schema`` then fails any such 422 that is about a type,
  pattern, enum, bound or shape — a disagreement between the document and the validation,
  which is what ``positive_data_acceptance`` exists to catch.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response

WEBHOOK_URL = "https://provider.example/pathways/webhooks"
"""A public https URL by name (names are checked when delivering, not when stored)."""

RULE_TYPES = frozenset({"value_error", "cursor_invalid"})
"""``errors[].type`` of the services' own rules (and bad cursors), as opposed to pydantic's
structural ones (``string_type``, ``missing``, ``enum``, ``greater_than_equal``…). Rules the
document does state are raised with types of their own (``null_not_allowed``, ``not_unique``),
so a disagreement about them is caught too."""

FIELD_ERRORS = "invalid_request"
"""The problem ``code`` of a 422 that lists field errors; any other 422 code names one rule."""


# --------------------------------------------------------------------------- repairs


def _ordered(data: dict[str, Any], low: str, high: str) -> None:
    lo, hi = data.get(low), data.get(high)
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        data[low], data[high] = hi, lo


def _eligibility(data: Any) -> None:
    if not isinstance(data, dict):
        return
    _ordered(data, "min_age", "max_age")
    _ordered(data, "min_severity", "max_severity")
    for alternative in data.get("any_of") or ():
        _eligibility(alternative)


def _capacity(data: Any) -> None:
    if isinstance(data, dict):
        _ordered(data, "available", "maximum")


def _service(body: dict[str, Any]) -> None:
    needs, specialisms = body.get("needs"), body.get("specialisms")
    if isinstance(specialisms, list):
        if isinstance(needs, list):
            body["specialisms"] = [s for s in specialisms if s in needs]
        else:  # a change of specialisms alone: the stored needs are unknown here
            body.pop("specialisms")
    _eligibility(body.get("eligibility"))
    _capacity(body.get("capacity"))
    if isinstance(body.get("webhook"), dict):
        body["webhook"]["url"] = WEBHOOK_URL


def _not_after_today(data: Any, *fields: str) -> None:
    if not isinstance(data, dict):
        return
    # Yesterday in UTC: not in the future wherever "today" is reckoned (UTC, or UK time).
    latest = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date().isoformat()
    for field in fields:
        value = data.get(field)
        if isinstance(value, str) and value > latest:
            data[field] = latest


def _profile(body: dict[str, Any]) -> None:
    """A referral's (or a search's) incident and assessment: nothing in the future, and the
    report not before the incident."""
    incident = body.get("incident")
    _not_after_today(incident, "occurred_on", "reported_on")
    if isinstance(incident, dict):
        occurred, reported = incident.get("occurred_on"), incident.get("reported_on")
        if isinstance(occurred, str) and isinstance(reported, str) and reported < occurred:
            incident["occurred_on"], incident["reported_on"] = reported, occurred
    _assessment(body.get("assessment"))


def _assessment(body: Any) -> None:
    _not_after_today(body, "last_marac_referral_on")


REPAIRS = {
    "POST /services": _service,
    "PATCH /services/{service_id}": _service,
    "PUT /services/{service_id}/capacity": _capacity,
    "POST /search": _profile,
    "POST /referrals": _profile,
    "POST /referrals/{referral_id}/assessments": _assessment,
}


@schemathesis.hook
def before_call(context: HookContext, case: Case, kwargs: dict[str, Any]) -> None:
    meta = case.meta
    repair = REPAIRS.get(case.operation.label)
    if repair is None or meta is None or not meta.generation.mode.is_positive:
        return
    if isinstance(case.body, dict):
        repair(case.body)


# --------------------------------------------------------------------------- checks


@schemathesis.check
def refused_only_for_rules_beyond_the_schema(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        raise AssertionError("A 422 that is not a problem document") from None
    if problem.get("code") != FIELD_ERRORS:
        return None
    errors = problem.get("errors") or []
    structural = [e for e in errors if e.get("type") not in RULE_TYPES]
    if structural or not errors:
        raise AssertionError(
            "Schema-valid data was refused for a reason the OpenAPI document could state "
            f"(make the document say it, or accept the data): {structural or problem}"
        )
    return True
