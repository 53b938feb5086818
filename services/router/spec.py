"""What the ``pathways`` command line needs to know about the router."""

from __future__ import annotations

from services.common.spec import ServiceSpec

from .app import create_app
from .db import MIGRATIONS
from .settings import RouterSettings

SPEC = ServiceSpec(
    name="router",
    default_port=8002,
    app_factory="services.router.app:create_app",
    create_app=create_app,
    load_settings=RouterSettings,
    migrations=MIGRATIONS,
    provider_exists=None,
)
