"""Field types shared by the directory's request and response shapes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field, StringConstraints

from graph.vocabulary import ACCESS_NEEDS, AREA_CODE
from services.common.inputs import SAFE_ID_PATTERN, LanguageTag

__all__ = ["LanguageTag"]  # shared with the router's referral body (services.common.inputs)

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$"

Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN, max_length=100),
    Field(
        description="Lowercase letters, digits and hyphens, 1-100 characters, "
        "e.g. `idva-cambridgeshire`. Fixed once created.",
        examples=["idva-cambridgeshire"],
    ),
]

AreaCode = Annotated[
    str,
    StringConstraints(pattern=AREA_CODE.pattern),
    Field(description="An ONS (GSS) area code, e.g. `E07000008` (Cambridge)."),
]

MAX_LANGUAGES = 50

ACCESS_DESCRIPTION = "Access codes: " + " ".join(
    f"`{code.value}`: {meaning}" for code, meaning in ACCESS_NEEDS.items()
)

ContactKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
ContactValue = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Contact = Annotated[
    dict[ContactKey, ContactValue],
    Field(
        max_length=20,
        description="How to reach them: `phone`, `email`, `url` and any other short "
        "snake_case keys (at most 20; values at most 500 characters).",
        # Keys that do not match the pattern are refused: the document must not allow them.
        json_schema_extra={"additionalProperties": False},
    ),
]

PathId = Annotated[
    str,
    Path(pattern=SAFE_ID_PATTERN, max_length=100, description="The object's id."),
]
