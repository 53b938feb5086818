"""The ``directory_state`` table: one row holding the directory's version.

Every write bumps ``version`` (monotonic) and draws a new random ``token`` in the transaction
that makes the change, so a version names exactly one state of the directory and the snapshot
can be cached by it. The token guards the cache and ETags against a database restored from a
backup, where an old version number could come back with different content.
"""

import datetime as dt

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime

STATE_ROW = 1


class DirectoryState(SQLModel, table=True):
    __tablename__ = "directory_state"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(sa_type=BigInteger)
    token: str = Field(max_length=32)
    changed_at: dt.datetime = Field(sa_type=UtcDateTime)
