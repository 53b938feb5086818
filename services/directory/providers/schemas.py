"""Request and response shapes for providers."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from services.common.inputs import InputModel, Name, PatchModel, Text

from ..fields import Contact, Slug


class ProviderCreate(InputModel):
    id: Slug
    name: Name
    description: Text = ""
    contact: Contact = Field(default_factory=dict)


class ProviderUpdate(PatchModel):
    """Only the fields given change."""

    name: Name | None = None
    description: Text | None = None
    contact: Contact | None = None


class ProviderPublic(BaseModel):
    id: str
    name: str
    description: str
    contact: dict[str, str]
    openreferral_id: str = Field(
        description="The organisation's id in the Open Referral export (a stable uuid5)."
    )
    created_at: dt.datetime
    updated_at: dt.datetime
