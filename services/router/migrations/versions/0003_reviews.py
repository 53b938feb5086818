"""Scheduled reviews of open referrals: the ``reviews`` table, and each referral's next review.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TZ = sa.DateTime(timezone=True)

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("next_review_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("review_requested_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("review_reason", sa.String(2000), nullable=True))
        batch.create_index(
            "ix_referrals_review_due", ["status", "next_review_on", "id"], unique=False
        )
        batch.create_index(
            "ix_referrals_first_review",
            ["status", "risk_level", "received_on", "id"],
            unique=False,
        )
    op.create_table(
        "reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("done_at", TZ, nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("risk_level", sa.String(10), nullable=False),
        sa.Column("assessment_seq", sa.Integer(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("by_name", sa.String(100), nullable=False),
        sa.Column("by_role", sa.String(16), nullable=False),
        sa.Column("note", sa.String(2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_reviews_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index("ix_reviews_referral_id", "reviews", ["referral_id", "seq"], unique=True)
    op.create_index("ix_reviews_done_on", "reviews", ["done_on"])


def downgrade() -> None:
    op.drop_index("ix_reviews_done_on", table_name="reviews")
    op.drop_index("ix_reviews_referral_id", table_name="reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_index("ix_referrals_first_review")
        batch.drop_index("ix_referrals_review_due")
        batch.drop_column("review_reason")
        batch.drop_column("review_requested_by")
        batch.drop_column("next_review_on")
