"""Building blocks for request bodies: strict models and bounded, storable text.

Every request model derives from ``InputModel``: unknown fields are rejected, and no string
anywhere in the body (keys included) may hold a NUL or a lone surrogate — PostgreSQL cannot store
either, and letting one through would turn bad input into a 500.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

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
                raise ValueError(f"{name} must not be null (leave it out to keep it as it is)")
        return self


Text = Annotated[str, StringConstraints(max_length=2000)]
"""Free text, such as a description (may be empty)."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""A required, non-blank human-readable name."""

SAFE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
"""What a path identifier may look like; anything else is a 422 before any query runs."""
