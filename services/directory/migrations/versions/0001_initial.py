"""The directory's first schema: providers, services, pathways, state, keys, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_providers"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("openreferral_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("specialisms", sa.JSON(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("serves_all_areas", sa.Boolean(), nullable=False),
        sa.Column("capacity_status", sa.String(5), nullable=False),
        sa.Column("capacity_available", sa.Integer(), nullable=True),
        sa.Column("capacity_maximum", sa.Integer(), nullable=True),
        sa.Column("capacity_updated", TZ, nullable=True),
        sa.Column("response_hours", sa.Integer(), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("webhook_secret", sa.String(300), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_services"),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name="fk_services_provider_id_providers",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("openreferral_id", name="uq_services_openreferral_id"),
    )
    op.create_index("ix_services_provider_id", "services", ["provider_id"])
    op.create_index("ix_services_capacity_status", "services", ["capacity_status"])

    op.create_table(
        "service_needs",
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("need", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "need", name="pk_service_needs"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name="fk_service_needs_service_id_services",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_service_needs_need", "service_needs", ["need"])
    op.create_table(
        "service_areas",
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("area", sa.String(9), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "area", name="pk_service_areas"),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name="fk_service_areas_service_id_services",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_service_areas_area", "service_areas", ["area"])

    op.create_table(
        "pathways",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("from_service_id", sa.String(100), nullable=True),
        sa.Column("from_entry", sa.String(20), nullable=True),
        sa.Column("to_service_id", sa.String(100), nullable=False),
        sa.Column("days", sa.Float(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pathways"),
        sa.CheckConstraint(
            "(from_service_id IS NULL) <> (from_entry IS NULL)", name="ck_pathways_one_source"
        ),
        sa.CheckConstraint(
            "from_entry IN ('entry:police', 'entry:self')", name="ck_pathways_entry_node"
        ),
        sa.UniqueConstraint("from_service_id", "to_service_id", name="uq_pathways_from_service_id"),
        sa.UniqueConstraint("from_entry", "to_service_id", name="uq_pathways_from_entry"),
        sa.ForeignKeyConstraint(
            ["from_service_id"],
            ["services.id"],
            name="fk_pathways_from_service_id_services",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["to_service_id"],
            ["services.id"],
            name="fk_pathways_to_service_id_services",
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_pathways_from_service_id", "pathways", ["from_service_id"])
    op.create_index("ix_pathways_to_service_id", "pathways", ["to_service_id"])

    state = op.create_table(
        "directory_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directory_state"),
    )
    op.bulk_insert(
        state,
        [{"id": 1, "version": 1, "token": uuid.uuid4().hex, "changed_at": dt.datetime.now(dt.UTC)}],
    )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("actor_key_id", sa.String(36), nullable=True),
        sa.Column("actor_provider_id", sa.String(100), nullable=True),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("entity_type", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])
    op.create_index("ix_audit_log_entity_type", "audit_log", ["entity_type", "entity_id"])
    _audit_log_append_only()


def _audit_log_append_only() -> None:
    # The log is append-only in the database itself, not just in the code that writes to it.
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("audit_log")
    op.drop_table("api_keys")
    op.drop_table("directory_state")
    op.drop_table("pathways")
    op.drop_table("service_areas")
    op.drop_table("service_needs")
    op.drop_table("services")
    op.drop_table("providers")
