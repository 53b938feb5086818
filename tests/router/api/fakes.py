"""A directory stand-in for router tests: serves a snapshot through ``httpx.MockTransport``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import httpx

from graph import directory_to_dict, load_directory
from graph.model import Directory


def fresh_shipped(now: dt.datetime) -> Directory:
    """The shipped directory with every capacity figure confirmed an hour before ``now``."""
    d = load_directory()
    return dataclasses.replace(
        d,
        services=tuple(
            dataclasses.replace(
                s, capacity=dataclasses.replace(s.capacity, updated=now - dt.timedelta(hours=1))
            )
            for s in d.services
        ),
    )


class FakeDirectory:
    """``GET /snapshot`` and ``GET /webhook-targets``, with ETags; can be taken down."""

    def __init__(self, directory: Directory, *, targets: list[dict[str, str]] | None = None):
        self.version = 1
        self.document: dict[str, Any] = directory_to_dict(directory)
        self.document["version"] = "v1"
        self.targets = targets or []
        self.down = False
        self.calls: list[str] = []
        self.full_snapshots = 0

    def replace(self, directory: Directory) -> None:
        self.version += 1
        self.document = directory_to_dict(directory)
        self.document["version"] = f"v{self.version}"

    def etag(self) -> str:
        return f'"{self.document["version"]}"'

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        if self.down:
            raise httpx.ConnectError("the directory is down", request=request)
        if request.headers.get("Authorization") != "Bearer directory-service-key":
            return httpx.Response(401, json={"detail": "no key"})
        if request.url.path == "/snapshot":
            if request.headers.get("If-None-Match") == self.etag():
                return httpx.Response(304)
            self.full_snapshots += 1
            return httpx.Response(
                200, content=json.dumps(self.document), headers={"ETag": self.etag()}
            )
        if request.url.path == "/webhook-targets":
            return httpx.Response(200, json={"targets": self.targets})
        return httpx.Response(404)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
