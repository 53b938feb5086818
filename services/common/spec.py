"""How the ``pathways`` command line finds a service: its app, settings and migrations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from sqlmodel import Session

from .migrations import MigrationSet
from .settings import ServiceSettings


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    default_port: int
    app_factory: str
    """``module:function`` of the app factory, for uvicorn's ``factory=True``."""
    create_app: Callable[[], FastAPI]
    load_settings: Callable[[], ServiceSettings]
    migrations: MigrationSet
    provider_exists: Callable[[Session, str], bool] | None = None
    """Checks a ``--provider`` for ``keys create``; None where the service cannot know."""
