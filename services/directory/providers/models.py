"""The ``providers`` table."""

import datetime as dt

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime


class Provider(SQLModel, table=True):
    __tablename__ = "providers"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    contact: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    updated_at: dt.datetime = Field(sa_type=UtcDateTime)
