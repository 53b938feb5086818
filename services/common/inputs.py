"""Building blocks for request bodies: strict models and bounded, storable text.

Every request model derives from ``InputModel``: unknown fields are rejected, and no string
anywhere in the body (keys included) may hold a NUL or a lone surrogate — PostgreSQL cannot store
either, and letting one through would turn bad input into a 500.

Numbers and dates are read as the OpenAPI document describes them, no more loosely: a
whole number (``WHOLE_NUMBER``) is a JSON integer (never a boolean, never 2.5), an ``IsoDate`` is
``YYYY-MM-DD`` text (never a Unix timestamp).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from graph.vocabulary import LANGUAGE_TAG_ANY_CASE, MAX_LANGUAGE_TAG, language_tag

MAX_DEPTH = 12


def _unsafe_text(value: str) -> str | None:
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no lone surrogates)"
    return None


def _check(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        problem = _unsafe_text(value)
        if problem:
            raise ValueError(f"text {problem}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (problem := _unsafe_text(key)):
                raise ValueError(f"a field name {problem}")
            _check(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item, depth + 1)


class InputModel(BaseModel):
    """A request body (or part of one): strict about unknown fields and unstorable text."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        _check(data)
        return data


class PatchModel(InputModel):
    """A partial update: only the fields given change; leaving a field out keeps it.

    Giving a field as null is an error unless the field is in ``nullable_fields`` (where null
    means "remove it").
    """

    nullable_fields: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in sorted(self.model_fields_set):
            if getattr(self, name) is None and name not in self.nullable_fields:
                # A type of its own, not "value_error": the document states this rule (no
                # "or null"), so the contract tests can tell a disagreement from a rule.
                raise PydanticCustomError(
                    "null_not_allowed",
                    "{name} must not be null (leave it out to keep it as it is)",
                    {"name": name},
                )
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # The fields default to None only so that "left out" can be told apart; the document
        # must not offer null where the validator above refuses it.
        schema = handler(core_schema)
        properties = handler.resolve_ref_schema(schema).get("properties", {})
        for name, prop in properties.items():
            if name not in cls.nullable_fields:
                _drop_null(prop)
        return schema


def _drop_null(prop: dict[str, Any]) -> None:
    options = [o for o in prop.get("anyOf", ()) if o != {"type": "null"}]
    if "anyOf" not in prop or len(options) == len(prop["anyOf"]):
        return
    del prop["anyOf"]
    if "default" in prop and prop["default"] is None:
        del prop["default"]  # left out means "unchanged", not null
    if len(options) == 1:
        prop.update(options[0])
    else:
        prop["anyOf"] = options


Text = Annotated[str, StringConstraints(max_length=2000)]
"""Free text, such as a description (may be empty)."""

BLANK = (
    " \t\n\x0b\x0c\r\x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
"""Unicode's White_Space characters: what a blank text consists of."""

NOT_BLANK = r"[^ \t\n\x0b\x0c\r\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""A pattern for text with something in it besides ``BLANK``. The class is spelled out because
``\\S`` means different things to Python, to ECMAScript (the OpenAPI document's regex dialect)
and to pydantic's Rust engine."""


def _trimmed(value: str) -> str:
    return value.strip(BLANK)


# Not blank, and stored without the blanks around it. The document states the rule (the
# pattern), so that what it calls valid is valid: "  " would pass a bare minLength of 1.
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK),
    AfterValidator(_trimmed),
]
"""A required, non-blank human-readable name."""

Reason = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000, pattern=NOT_BLANK),
    AfterValidator(_trimmed),
]
"""A required, non-blank explanation (why a handover is declined, …)."""

SAFE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
"""What a path identifier may look like; anything else is a 422 before any query runs."""


def _whole_number(value: Any) -> Any:
    # JSON has one kind of number, and JSON Schema counts 3.0 as the integer 3; 2.5 and true
    # stay errors (StrictInt refuses them).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WHOLE_NUMBER = BeforeValidator(_whole_number)
"""Makes a ``StrictInt`` a JSON integer: 3 or 3.0; never 2.5, "3" or true. Put it last, after
the bounds — ``Annotated[StrictInt, Field(ge=0, le=120), WHOLE_NUMBER]`` — or pydantic leaves
the bounds out of the OpenAPI document."""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: Any) -> Any:
    # pydantic would also read 0 as 1970-01-01 and "2026-01-01T00:00:00" as a date.
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]
"""A calendar date as ``YYYY-MM-DD`` text (the OpenAPI ``format: date``)."""


LanguageTag = Annotated[
    str,
    StringConstraints(pattern=LANGUAGE_TAG_ANY_CASE, max_length=MAX_LANGUAGE_TAG),
    AfterValidator(language_tag),
    Field(
        description="A language tag (BCP 47): an ISO 639 language of 2 or 3 letters, then "
        "optionally a script, a region and variants, e.g. `en`, `pl`, `pt-BR`, `pa-Guru`, `bfi` "
        "(British Sign Language). Read in any case; stored and returned in canonical case.",
        examples=["pl"],
    ),
]
"""A BCP 47 language tag, read in any case and kept in canonical case (graph.vocabulary)."""
