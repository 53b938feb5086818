"""The victim's satisfaction at completion, on the common 1-5 scale, with their reason.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("satisfaction_reason", sa.String(2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handovers") as batch:
        batch.drop_column("satisfaction_reason")
        batch.drop_column("satisfaction")
