"""The directory's database: its tables, its migrations."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

from services.common.audit.models import AuditEvent
from services.common.auth.models import ApiKey
from services.common.migrations import MigrationSet

from .pathways.models import Pathway
from .providers.models import Provider
from .services.models import Service, ServiceArea, ServiceNeed
from .snapshot.models import DirectoryState

TABLES = (Provider, Service, ServiceNeed, ServiceArea, Pathway, DirectoryState, ApiKey, AuditEvent)

MIGRATIONS = MigrationSet(
    script_location=Path(__file__).parent / "migrations",
    version_table="directory_alembic_version",
    tables=frozenset(str(t.__tablename__) for t in TABLES),
)

metadata = SQLModel.metadata
