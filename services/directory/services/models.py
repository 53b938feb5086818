"""The ``services`` table and its two filter indexes (``service_needs``, ``service_areas``).

A service's needs and eligibility are stored as JSON, exactly as graph/ reads them: that is the
truth. ``service_needs`` and ``service_areas`` are derived from it in the same transaction so
that ``GET /services?need=…&area=…`` is an indexed query on SQLite and PostgreSQL alike.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, false, text
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime


class Service(SQLModel, table=True):
    __tablename__ = "services"

    id: str = Field(primary_key=True, max_length=100)
    provider_id: str = Field(
        foreign_key="providers.id", ondelete="RESTRICT", index=True, max_length=100
    )
    openreferral_id: str = Field(max_length=36, unique=True)
    """The stable uuid5 that the Open Referral (HSDS) export uses for this service."""
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    needs: list[str] = Field(sa_type=JSON)
    specialisms: list[str] = Field(sa_type=JSON)
    eligibility: dict[str, Any] = Field(sa_type=JSON)
    """In graph.codec's shape (``eligibility_to_dict``): codes sorted, absent = no restriction."""
    serves_all_areas: bool
    capacity_status: str = Field(max_length=5, index=True)
    capacity_available: int | None = None
    capacity_maximum: int | None = None
    capacity_updated: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    response_hours: int
    contact: dict[str, str] = Field(sa_type=JSON)
    languages: list[str] = Field(
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": text("'[]'")}
    )
    """BCP 47 tags in canonical case, sorted; empty: not declared (unknown, not "English")."""
    interpreters: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """It arranges interpreters for languages its staff do not speak."""
    access: list[str] = Field(
        default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": text("'[]'")}
    )
    """Access need codes (graph.vocabulary.AccessNeed) it meets, sorted."""
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, max_length=300)
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    updated_at: dt.datetime = Field(sa_type=UtcDateTime)


class ServiceNeed(SQLModel, table=True):
    __tablename__ = "service_needs"

    service_id: str = Field(
        primary_key=True, foreign_key="services.id", ondelete="CASCADE", max_length=100
    )
    need: str = Field(primary_key=True, max_length=40, index=True)


class ServiceArea(SQLModel, table=True):
    __tablename__ = "service_areas"

    service_id: str = Field(
        primary_key=True, foreign_key="services.id", ondelete="CASCADE", max_length=100
    )
    area: str = Field(primary_key=True, max_length=9, index=True)
