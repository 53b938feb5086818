"""The router's database: its tables, its migrations."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import SQLModel

from services.common.audit.models import AuditEvent
from services.common.auth.models import ApiKey
from services.common.migrations import MigrationSet

from .family.models import FamilyCase, FamilyMember
from .handovers.models import Handover
from .outbox.models import OutboxEvent
from .referrals.models import Assessment, IdempotencyKey, Referral, TimelineEvent
from .reviews.models import Review
from .snapshot.models import StoredSnapshot, WebhookTarget

TABLES = (
    Referral,
    Assessment,
    TimelineEvent,
    IdempotencyKey,
    Handover,
    OutboxEvent,
    StoredSnapshot,
    WebhookTarget,
    ApiKey,
    AuditEvent,
    Review,
    FamilyCase,
    FamilyMember,
)

MIGRATIONS = MigrationSet(
    script_location=Path(__file__).parent / "migrations",
    version_table="router_alembic_version",
    tables=frozenset(str(t.__tablename__) for t in TABLES),
)

metadata = SQLModel.metadata
