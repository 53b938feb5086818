"""Entity tags (RFC 9110 §8.8.3) and the conditional request headers.

ETags here are strong: they are derived from the exact representation (or from a version that
determines it), so equal tags mean byte-equal bodies. ``If-Match`` uses the strong comparison,
``If-None-Match`` the weak one, as RFC 9110 §13.1 prescribes.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated

from fastapi import Header, Response

from .errors import PreconditionFailedError, PreconditionRequiredError

_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


def etag_of(representation: object) -> str:
    """A strong ETag for a JSON-able representation: a hash of its canonical JSON."""
    canonical = json.dumps(
        representation, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:40] + '"'


def _parse(header: str) -> list[tuple[bool, str]] | None:
    """The entity tags of a header as ``(weak, opaque)``; None for ``*``; [] when malformed."""
    if header.strip() == "*":
        return None
    tags: list[tuple[bool, str]] = []
    pos = 0
    while pos < len(header):
        m = _TAG.match(header, pos)
        if m is None or m.end() == pos:
            return []
        tags.append((m.group(1) is not None, m.group(2)))
        pos = m.end()
    return tags


def _opaque(etag: str) -> str:
    return etag.removeprefix("W/").strip('"')


def if_match_holds(header: str, current: str) -> bool:
    """Does ``If-Match: header`` hold for a resource whose ETag is ``current``?"""
    tags = _parse(header)
    if tags is None:
        return True
    return any(not weak and opaque == _opaque(current) for weak, opaque in tags)


def if_none_match_hits(header: str | None, current: str) -> bool:
    """Does ``If-None-Match: header`` name ``current`` (so the answer is 304)?"""
    if header is None:
        return False
    tags = _parse(header)
    if tags is None:
        return True
    return any(opaque == _opaque(current) for _weak, opaque in tags)


def check_if_match(if_match: str | None, current: str, *, required: bool, what: str) -> None:
    """Enforce ``If-Match`` for a write to ``what``: 428 when required and missing, 412 when
    stale."""
    if if_match is None:
        if required:
            raise PreconditionRequiredError(
                f"Changing {what} needs If-Match: GET it first and send its ETag"
            )
        return
    if not if_match_holds(if_match, current):
        raise PreconditionFailedError(
            f"{what} has changed since you read it (its ETag is now {current}): "
            "GET it again, re-apply your change and retry"
        )


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=2000,
        description="The ETag from your last read: the write happens only if it is current.",
    ),
]
REQUIRED_IN_DOCUMENT = "x-pathways-required"
"""Marks a header the service checks itself (so FastAPI must let it through when missing) but
that the OpenAPI document should show as required; ``install_openapi`` moves the mark."""

IfMatchRequired = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=2000,
        description="The ETag from your last read: the write happens only if it is current. "
        "Required: without it the answer is 428.",
        json_schema_extra={REQUIRED_IN_DOCUMENT: True},
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=2000,
        description="The ETag you hold: 304 Not Modified if it is still current.",
    ),
]

PRIVATE_REVALIDATE = {"Cache-Control": "private, no-cache", "Vary": "Authorization"}
"""For representations that depend on the caller's key: caches may keep them but must ask."""


def conditional_headers(current: str) -> dict[str, str]:
    return {"ETag": current, **PRIVATE_REVALIDATE}


def not_modified(if_none_match: str | None, current: str) -> Response | None:
    """A 304 response when ``If-None-Match`` names the current ETag, else None."""
    if if_none_match_hits(if_none_match, current):
        return Response(status_code=304, headers=conditional_headers(current))
    return None
