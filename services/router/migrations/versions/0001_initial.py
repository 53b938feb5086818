"""The router's first schema: referrals, assessments, timeline, idempotency keys, handovers,
the webhook outbox, the last good directory snapshot, webhook targets, keys and the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TZ = sa.DateTime(timezone=True)


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity_type", "audit_log", ["entity_type", "entity_id"])
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["occurred_at"])

    op.create_table(
        "directory_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("etag", sa.String(200), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("fetched_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_snapshots")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("claimed_at", TZ, nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("principal", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=True),
        sa.Column("handover_id", sa.String(36), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_until", TZ, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(2000), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
    )
    op.create_index("ix_outbox_events_referral_id", "outbox_events", ["referral_id"])
    op.create_index("ix_outbox_events_status", "outbox_events", ["status", "next_attempt_at"])

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("referrer", sa.String(100), nullable=False),
        sa.Column("source_kind", sa.String(10), nullable=False),
        sa.Column("source_reference", sa.String(100), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("risk_level", sa.String(10), nullable=False),
        sa.Column("enhanced", sa.Boolean(), nullable=False),
        sa.Column("enhanced_reasons", sa.JSON(), nullable=False),
        sa.Column("marac", sa.JSON(), nullable=True),
        sa.Column("risk_notes", sa.JSON(), nullable=False),
        sa.Column("refer_by", sa.Date(), nullable=False),
        sa.Column("first_update_by", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("directory_version", sa.String(100), nullable=False),
        sa.Column("directory_stale", sa.Boolean(), nullable=False),
        sa.Column("entry", sa.String(20), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("lead_service_id", sa.String(100), nullable=True),
        sa.Column("victim", sa.JSON(), nullable=False),
        sa.Column("incident", sa.JSON(), nullable=False),
        sa.Column("unmet", sa.JSON(), nullable=False),
        sa.Column("implied_needs", sa.JSON(), nullable=False),
        sa.Column("assessment_count", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_referrer", "referrals", ["referrer", "created_at"])

    op.create_table(
        "webhook_targets",
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(300), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_webhook_targets")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("risk_level", sa.String(10), nullable=False),
        sa.Column("by_name", sa.String(100), nullable=False),
        sa.Column("by_role", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_assessments_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(
        "ix_assessments_referral_id", "assessments", ["referral_id", "seq"], unique=True
    )

    op.create_table(
        "handovers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(100), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("service_name", sa.String(200), nullable=False),
        sa.Column("from_node", sa.String(100), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("response_hours", sa.Integer(), nullable=False),
        sa.Column("release_after", sa.JSON(), nullable=True),
        sa.Column("release_reason", sa.String(2000), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("outcomes", sa.JSON(), nullable=True),
        sa.Column("requested_at", TZ, nullable=True),
        sa.Column("respond_by", TZ, nullable=True),
        sa.Column("accepted_at", TZ, nullable=True),
        sa.Column("contacted_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_handovers_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
    )
    op.create_index("ix_handovers_provider_id", "handovers", ["provider_id", "status", "id"])
    op.create_index("ix_handovers_referral_id", "handovers", ["referral_id", "seq"])
    op.create_index("ix_handovers_status", "handovers", ["status", "respond_by"])

    op.create_table(
        "timeline_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("handover_id", sa.String(36), nullable=True),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_timeline_events_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
    )
    op.create_index("ix_timeline_events_referral_id", "timeline_events", ["referral_id", "id"])
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
    op.drop_index("ix_timeline_events_referral_id", table_name="timeline_events")

    op.drop_table("timeline_events")
    op.drop_index("ix_handovers_status", table_name="handovers")
    op.drop_index("ix_handovers_referral_id", table_name="handovers")
    op.drop_index("ix_handovers_provider_id", table_name="handovers")

    op.drop_table("handovers")
    op.drop_index("ix_assessments_referral_id", table_name="assessments")

    op.drop_table("assessments")
    op.drop_table("webhook_targets")
    op.drop_index("ix_referrals_referrer", table_name="referrals")

    op.drop_table("referrals")
    op.drop_index("ix_outbox_events_status", table_name="outbox_events")
    op.drop_index("ix_outbox_events_referral_id", table_name="outbox_events")

    op.drop_table("outbox_events")
    op.drop_table("idempotency_keys")
    op.drop_table("directory_snapshots")
    op.drop_index("ix_audit_log_occurred_at", table_name="audit_log")
    op.drop_index("ix_audit_log_entity_type", table_name="audit_log")

    op.drop_table("audit_log")
    op.drop_table("api_keys")
