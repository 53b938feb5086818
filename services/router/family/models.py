"""The ``family_cases`` and ``family_members`` tables.

A family case links the referrals of several victims of one incident (a parent and the children
in the household, a bereaved family). Each member keeps a referral and a plan of their own:
the link says who belongs together, never what anyone else may see (``family.service``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from services.common.db import UtcDateTime


class FamilyKind(StrEnum):
    HOUSEHOLD = "household"
    """A parent and the children (or others) in the household, e.g. after domestic abuse."""
    BEREAVED_FAMILY = "bereaved_family"
    """The family of someone killed (homicide, a fatal road collision)."""
    OTHER = "other"


class Relationship(StrEnum):
    """How a member is related to the case's first victim (the ``self`` member)."""

    SELF = "self"
    CHILD = "child"
    PARTNER = "partner"
    PARENT = "parent"
    SIBLING = "sibling"
    RELATIVE = "relative"
    FRIEND = "friend"


class FamilyCase(SQLModel, table=True):
    """Several victims of one incident, linked as one case."""

    __tablename__ = "family_cases"

    id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(max_length=20)
    """A ``FamilyKind``."""
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    created_by: str = Field(max_length=100)
    """The name of the key that linked the first members."""


class FamilyMember(SQLModel, table=True):
    """One referral in a family case. A referral is in one case at most."""

    __tablename__ = "family_members"
    __table_args__ = (Index(None, "case_id", "seq", unique=True),)

    referral_id: str = Field(primary_key=True, foreign_key="referrals.id", max_length=36)
    case_id: str = Field(foreign_key="family_cases.id", max_length=36)
    seq: int
    """The member's place in the case: 0 for the first victim, then in the order added."""
    relationship: str = Field(max_length=10)
    """A ``Relationship``: to the case's first victim."""
    added_at: dt.datetime = Field(sa_type=UtcDateTime)
    added_by: str = Field(max_length=100)
    """The name of the key that added the member (the real caller, whoever owns the referral)."""
