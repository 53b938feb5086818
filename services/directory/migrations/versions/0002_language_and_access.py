"""Services declare the languages they work in, whether they arrange interpreters, and the
access needs they meet.

Existing services get the defaults: no languages declared (unknown, not "English only"), no
interpreters, no access needs. The snapshot leaves those out, so it reads exactly as before.

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

EMPTY_LIST = sa.text("'[]'")


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(
            sa.Column("languages", sa.JSON(), nullable=False, server_default=EMPTY_LIST)
        )
        batch.add_column(
            sa.Column("interpreters", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("access", sa.JSON(), nullable=False, server_default=EMPTY_LIST))


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.drop_column("access")
        batch.drop_column("interpreters")
        batch.drop_column("languages")
