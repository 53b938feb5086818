"""What ``GET /webhook-targets`` returns."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookTarget(BaseModel):
    service_id: str
    provider_id: str
    url: str = Field(description="Where the router POSTs this service's webhooks.")
    secret: str = Field(
        description="The Standard Webhooks signing secret (`whsec_…`): keep it as you would a "
        "password."
    )


class WebhookTargets(BaseModel):
    """Every service that has a webhook, in service id order."""

    version: int = Field(description="The directory version these targets belong to.")
    targets: list[WebhookTarget]
