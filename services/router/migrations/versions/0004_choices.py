"""The victim's choices: pauses, refusals, contact preferences and consent.

Refusals, contact preferences and consent live in ``referrals.victim`` (JSON), so only the pause
needs columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("pause_reason", sa.String(2000), nullable=True))
        batch.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_by", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("paused_by")
        batch.drop_column("paused_at")
        batch.drop_column("pause_reason")
        batch.drop_column("paused_until")
        batch.drop_column("paused")
