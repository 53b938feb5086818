"""The directory's settings (environment variables with the prefix ``PATHWAYS_``)."""

from __future__ import annotations

from pydantic import Field

from services.common.settings import ServiceSettings

DEFAULT_DATABASE_URL = "sqlite:///var/directory.db"


class DirectorySettings(ServiceSettings):
    """``PATHWAYS_DIRECTORY_DATABASE_URL``, ``PATHWAYS_ALLOW_INSECURE_WEBHOOKS``, …"""

    directory_database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path (relative to the working directory) or "
        "postgresql+psycopg://user@host:port/database",
    )
    snapshot_cache_size: int = Field(default=4, ge=1, le=64)

    @property
    def database_url(self) -> str:
        return self.directory_database_url
