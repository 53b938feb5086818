"""The ``pathways`` table.

A pathway starts at a service (``from_service_id``, a foreign key) or at an entry node
(``from_entry``): exactly one of the two, which the database checks. Foreign keys RESTRICT, so a
service that pathways still use cannot be deleted even by two racing requests.
"""

import datetime as dt

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from graph.vocabulary import ENTRY_NODES
from services.common.db import UtcDateTime

_ENTRIES = ", ".join(f"'{e}'" for e in ENTRY_NODES)


class Pathway(SQLModel, table=True):
    __tablename__ = "pathways"
    __table_args__ = (
        CheckConstraint("(from_service_id IS NULL) <> (from_entry IS NULL)", name="one_source"),
        CheckConstraint(f"from_entry IN ({_ENTRIES})", name="entry_node"),
        UniqueConstraint("from_service_id", "to_service_id"),
        UniqueConstraint("from_entry", "to_service_id"),
    )

    id: str = Field(primary_key=True, max_length=100)
    from_service_id: str | None = Field(
        default=None, foreign_key="services.id", ondelete="RESTRICT", index=True, max_length=100
    )
    from_entry: str | None = Field(default=None, max_length=20)
    to_service_id: str = Field(
        foreign_key="services.id", ondelete="RESTRICT", index=True, max_length=100
    )
    days: float
    created_at: dt.datetime = Field(sa_type=UtcDateTime)

    @property
    def from_node(self) -> str:
        source = self.from_service_id or self.from_entry
        assert source is not None  # the check constraint guarantees one of them
        return source
