"""Identifiers derived from ours: stable forever, so never change the namespace."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("6f1d0c3a-9b4e-5c27-8a61-3e2f4d5b7a90")
"""Pathways' uuid5 namespace. Changing it would change every exported id."""


def derived_uuid(kind: str, *parts: str) -> str:
    """A uuid5 for ``kind`` and ``parts``: the same inputs give the same id everywhere."""
    return str(uuid.uuid5(NAMESPACE, "\n".join((kind, *parts))))


def pathway_id(from_node: str, to_service: str) -> str:
    """A pathway is its pair of ends, so its id is derived from them."""
    return derived_uuid("pathway", from_node, to_service)
