"""Form fields to API bodies and errors back to fields (no app, no database)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData

from graph.codec import load_directory_document
from services.directory.console.forms import (
    SERVICE_FIELDS,
    Form,
    field_for,
    service_body,
    service_values,
)
from services.directory.services.schemas import ServiceUpdate


def _form(values: dict[str, Any]) -> Form:
    items: list[tuple[str, str]] = []
    for name, value in values.items():
        if isinstance(value, list):
            items += [(name, v) for v in value]
        elif isinstance(value, str):
            items.append((name, value))
    return Form(FormData(items))


@pytest.mark.parametrize(
    ("loc", "msg", "field"),
    [
        (["body", "eligibility", "min_age"], "Input should be …", "eligibility.min_age"),
        (["eligibility", "areas", 2], "String should match …", "eligibility.areas"),
        (["eligibility"], "min_age must not be above max_age", "eligibility.min_age"),
        (["capacity"], "available must not be above maximum", "capacity.available"),
        (["eligibility", "any_of", 0, "min_age"], "Input should be …", "eligibility.any_of"),
        (["body", "specialisms"], "must be a subset of needs", "specialisms"),
        (["contact", "Bad Key", "[key]"], "String should match …", "contact"),
        (["nowhere"], "what?", None),
    ],
)
def test_an_error_goes_to_the_deepest_field_on_its_path(
    loc: list[str | int], msg: str, field: str | None
) -> None:
    assert field_for(loc, msg, SERVICE_FIELDS) == field


def test_every_shipped_service_survives_the_form_unchanged() -> None:
    for raw in load_directory_document()["services"]:
        shown = {**raw, "webhook": None}
        body, problems = service_body(
            _form(service_values(shown)), creating=False, previous_needs=raw["needs"]
        )
        assert not problems, (raw["id"], problems)
        update = ServiceUpdate.model_validate(body)
        assert [n.value for n in update.needs or []] == raw["needs"], raw["id"]
        assert sorted(n.value for n in update.specialisms or []) == sorted(raw["specialisms"])
        assert update.eligibility is not None
        assert update.eligibility.model_dump(mode="json", exclude_none=True) == raw["eligibility"]
        assert update.contact == raw.get("contact", {})
        assert "webhook" not in body


def test_the_main_need_comes_first_and_a_kept_webhook_is_left_alone() -> None:
    values = {
        "provider_id": "p",
        "name": "N",
        "main_need": "refuge",
        "needs": ["accommodation", "emotional_support"],
        "webhook.url": "https://hooks.example/x",
    }
    body, _ = service_body(
        _form(values),
        creating=False,
        previous_needs=["emotional_support", "accommodation"],
        current_webhook_url="https://hooks.example/x",
    )
    assert body["needs"] == ["refuge", "emotional_support", "accommodation"]
    assert "webhook" not in body
    body, _ = service_body(
        _form({**values, "webhook.url": ""}),
        creating=False,
        current_webhook_url="https://hooks.example/x",
    )
    assert body["webhook"] is None
    body, _ = service_body(
        _form({**values, "webhook.url": "https://hooks.example/y"}),
        creating=False,
        current_webhook_url="https://hooks.example/x",
    )
    assert body["webhook"] == {"url": "https://hooks.example/y"}
