"""Request and response shapes for pathways."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, StrictFloat

from services.common.inputs import InputModel

from ..fields import SLUG_PATTERN, Slug

NODE_PATTERN = r"^(?:entry:police|entry:self|" + SLUG_PATTERN.strip("^$") + r")$"


class PathwayCreate(InputModel):
    from_service: str = Field(
        pattern=NODE_PATTERN,
        max_length=100,
        description="A service id, or an entry node: `entry:police` or `entry:self`.",
        examples=["entry:police"],
    )
    to_service: Slug
    days: StrictFloat = Field(
        default=1.0, ge=0, le=365, description="Usual days to first contact along it."
    )


class PathwayPublic(BaseModel):
    id: str
    from_service: str
    to_service: str
    days: float
    created_at: dt.datetime
