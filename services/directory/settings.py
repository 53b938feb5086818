"""The directory's settings (environment variables with the prefix ``PATHWAYS_``)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from services.common.settings import Environment, ServiceSettings

DEFAULT_DATABASE_URL = "sqlite:///var/directory.db"


class DirectorySettings(ServiceSettings):
    """``PATHWAYS_DIRECTORY_DATABASE_URL``, ``PATHWAYS_ALLOW_INSECURE_WEBHOOKS``, …"""

    directory_database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path (relative to the working directory) or "
        "postgresql+psycopg://user@host:port/database",
    )
    snapshot_cache_size: int = Field(default=4, ge=1, le=64)
    console_secret: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs the admin console's session cookies. Unset: a random secret per "
        "process (sessions end when it restarts); set the same value on every instance behind "
        "a load balancer.",
    )
    console_cookie_secure: bool = Field(
        default=True,
        description="Mark the console's session cookie Secure (sent over https only). "
        "Development only: false lets `make run` sign in over http://127.0.0.1.",
    )

    @property
    def database_url(self) -> str:
        return self.directory_database_url

    @model_validator(mode="after")
    def _console_cookie_secure_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION and not self.console_cookie_secure:
            raise ValueError(
                "PATHWAYS_CONSOLE_COOKIE_SECURE must not be false in production: the console's "
                "session cookie signs an admin in and must travel over https only"
            )
        return self
