"""What the ``pathways`` command line needs to know about the directory."""

from __future__ import annotations

from sqlmodel import Session

from services.common.spec import ServiceSpec

from .app import create_app
from .db import MIGRATIONS
from .providers import repository as providers
from .settings import DirectorySettings


def _provider_exists(session: Session, provider_id: str) -> bool:
    return providers.exists(session=session, provider_id=provider_id)


SPEC = ServiceSpec(
    name="directory",
    default_port=8001,
    app_factory="services.directory.app:create_app",
    create_app=create_app,
    load_settings=DirectorySettings,
    migrations=MIGRATIONS,
    provider_exists=_provider_exists,
)
