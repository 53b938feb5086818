"""Settings from the environment (prefix ``PATHWAYS_``), built inside each app factory.

Every setting has a safe embedded default, so a bare checkout runs. In production the validators
refuse what is only acceptable on a developer's machine.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .db import DATABASE_CONNECTIONS, DATABASE_CONNECTIONS_MAX


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    """What every Pathways service reads from the environment.

    A service subclasses this, adds its own ``<service>_database_url`` field and returns it from
    ``database_url``.
    """

    model_config = SettingsConfigDict(env_prefix="PATHWAYS_", extra="ignore", frozen=True)

    environment: Environment = Environment.DEVELOPMENT
    allow_insecure_webhooks: bool = Field(
        default=False,
        description="Development only: accept http:// webhook URLs that point at loopback.",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    database_connections: int = Field(
        default=DATABASE_CONNECTIONS,
        ge=1,
        le=DATABASE_CONNECTIONS_MAX,
        description="How many requests of one process work on the database at once: the "
        "size of its connection pool. The rest wait their turn without holding a thread. "
        "A few keep one process's core busy; raise it for a database with a slow round trip.",
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="How `pathways serve` and `pathways worker` write logs to standard error: "
        "one JSON object per line, or plain text for a developer's terminal.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="The least severe log records written."
    )
    metrics_public: bool = Field(
        default=False,
        description="Let anyone read GET /metrics. Otherwise it needs an admin or service key: "
        "the metrics carry no personal data, but counts by status and risk are not for all.",
    )
    metrics_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="GET /metrics reads the database at most once in this many seconds.",
    )

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "log_level" else value.lower()

    @property
    def database_url(self) -> str:
        raise NotImplementedError  # pragma: no cover - each service overrides it

    @model_validator(mode="after")
    def _refuse_unsafe_production_values(self) -> Self:
        if self.environment is Environment.PRODUCTION and self.allow_insecure_webhooks:
            raise ValueError(
                "PATHWAYS_ALLOW_INSECURE_WEBHOOKS must not be set in production: "
                "webhooks carry victims' data and must use https"
            )
        return self
