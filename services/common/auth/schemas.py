"""Roles and principals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    """Directory admins (commissioners, the hub): may change anything."""
    REFERRER = "referrer"
    """A triage system or referring agency."""
    PROVIDER = "provider"
    """A provider's system, bound to one provider id."""
    SERVICE = "service"
    """Another Pathways service (the router reading the directory)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: the holder of an API key, or an operator at the command line."""

    name: str
    role: Role
    key_id: str | None = None
    """None when acting from the command line rather than with a key."""
    provider_id: str | None = None

    @classmethod
    def operator(cls, name: str) -> Principal:
        """An operator running a ``pathways`` command on the server (acts as admin)."""
        return cls(name=name, role=Role.ADMIN)

    def owns(self, provider_id: str) -> bool:
        return self.role is Role.PROVIDER and self.provider_id == provider_id
