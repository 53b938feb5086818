"""The router's settings (environment variables with the prefix ``PATHWAYS_``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from services.common.settings import Environment, ServiceSettings

DEFAULT_DATABASE_URL = "sqlite:///var/router.db"
DEFAULT_DIRECTORY_URL = "http://127.0.0.1:8001"


class RouterSettings(ServiceSettings):
    """``PATHWAYS_ROUTER_DATABASE_URL``, ``PATHWAYS_DIRECTORY_URL``, ``PATHWAYS_DIRECTORY_API_KEY``,
    and the worker's settings."""

    router_database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path (relative to the working directory) or "
        "postgresql+psycopg://user@host:port/database",
    )
    directory_url: str = Field(
        default=DEFAULT_DIRECTORY_URL, description="Where the router finds the directory."
    )
    directory_api_key: SecretStr | None = Field(
        default=None, description="The router's `service` key for the directory."
    )
    directory_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    directory_retries: int = Field(default=2, ge=0, le=10)
    snapshot_max_age_seconds: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="How long a snapshot is used before asking the directory (If-None-Match) "
        "whether it changed.",
    )
    run_worker: bool = Field(
        default=True,
        description="Deliver webhooks and sweep expired handovers inside the router process. "
        "Turn off where `pathways worker` runs separately.",
    )
    worker_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_base_seconds: float = Field(default=2.0, gt=0, le=3600)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=86400)
    webhook_lease_seconds: float | None = Field(
        default=None,
        ge=1,
        le=86400,
        description="How long a worker holds the events it claimed; those of a worker that dies "
        "are sent again by another once this runs out. At least twice the longest attempt "
        "(3 × the webhook timeout + 1 s); by default that, and never under 60 s.",
    )
    allow_private_webhook_targets: bool = Field(
        default=False,
        description="Development only: deliver to private or loopback addresses.",
    )

    @property
    def database_url(self) -> str:
        return self.router_database_url

    @property
    def webhook_attempt_seconds(self) -> float:
        """The longest one delivery attempt takes: connect, send and read each get the timeout."""
        return 3 * self.webhook_timeout_seconds + 1

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Self:
        shortest = 2 * self.webhook_attempt_seconds
        if self.webhook_lease_seconds is not None and self.webhook_lease_seconds < shortest:
            raise ValueError(
                f"PATHWAYS_WEBHOOK_LEASE_SECONDS must be at least {shortest:g} (twice the "
                "longest delivery attempt, 3 × PATHWAYS_WEBHOOK_TIMEOUT_SECONDS + 1)"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_router_values(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.allow_private_webhook_targets:
                raise ValueError(
                    "PATHWAYS_ALLOW_PRIVATE_WEBHOOK_TARGETS must not be set in production"
                )
            if self.directory_api_key is None:
                raise ValueError("PATHWAYS_DIRECTORY_API_KEY is required in production")
        return self
