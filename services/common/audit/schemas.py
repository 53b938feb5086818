"""What ``GET /audit`` returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from ..auth.schemas import Role


class AuditActor(BaseModel):
    name: str = Field(description="The key's name, or the command that acted.")
    role: Role
    key_id: str | None = Field(description="The API key used; null for a command-line operator.")
    provider_id: str | None = None


class AuditEventPublic(BaseModel):
    id: int
    occurred_at: dt.datetime
    actor: AuditActor
    action: str = Field(description="e.g. `service.create`, `service.update`, `capacity.update`.")
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None = Field(
        description="The changed fields before (all fields for a delete; null for a create)."
    )
    after: dict[str, Any] | None = Field(
        description="The changed fields after (all fields for a create; null for a delete)."
    )
