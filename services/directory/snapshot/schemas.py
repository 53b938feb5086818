"""The snapshot document (``GET /snapshot``): graph.codec's directory shape, plus providers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from graph.vocabulary import AccessNeed, Need

from ..services.schemas import Capacity, Eligibility


class SnapshotProvider(BaseModel):
    id: str
    name: str
    description: str
    contact: dict[str, str]


class SnapshotService(BaseModel):
    id: str
    provider_id: str
    name: str
    description: str
    needs: list[Need]
    specialisms: list[Need]
    eligibility: Eligibility
    capacity: Capacity
    response_hours: int
    contact: dict[str, str]
    languages: list[str] | None = Field(
        default=None,
        description="Language tags (BCP 47) its staff work in, sorted. Absent: not declared "
        "(unknown, not English only).",
    )
    interpreters: bool | None = Field(
        default=None, description="Present (true) when it arranges interpreters; absent: not."
    )
    access: list[AccessNeed] | None = Field(
        default=None, description="The access needs it meets, sorted. Absent: none declared."
    )


class SnapshotPathway(BaseModel):
    id: str
    from_service: str = Field(description="A service id, or `entry:police` / `entry:self`.")
    to_service: str
    days: float


class SnapshotDocument(BaseModel):
    """The whole directory at one version; `graph.codec.directory_from_dict` reads it."""

    version: int = Field(description="Goes up by one or more with every change; never down.")
    providers: list[SnapshotProvider]
    services: list[SnapshotService]
    pathways: list[SnapshotPathway]
