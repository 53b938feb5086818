"""Family links: several victims of one incident as one case.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "family_cases",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_cases")),
    )
    op.create_table(
        "family_members",
        sa.Column("referral_id", sa.String(36), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("relationship", sa.String(10), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["family_cases.id"], name=op.f("fk_family_members_case_id_family_cases")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_family_members_referral_id_referrals"),
        ),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_family_members")),
    )
    with op.batch_alter_table("family_members") as batch:
        batch.create_index("ix_family_members_case_id", ["case_id", "seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("family_members") as batch:
        batch.drop_index("ix_family_members_case_id")
    op.drop_table("family_members")
    op.drop_table("family_cases")
