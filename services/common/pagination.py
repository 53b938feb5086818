"""Cursor pagination: ``?limit=`` (bounded) and an opaque ``?cursor=`` from the previous page.

A cursor is the position after the last item of a page (its sort key), wrapped so that clients
cannot build or tamper with one meaningfully: it is only ever echoed back. A cursor from another
listing, or one that is not a cursor at all, is a 422.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from .errors import UnprocessableContentError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 400
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `?cursor=` for the next page; null on the last page."
    )


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="The `next_cursor` of the previous page; omit for the first page.",
    ),
]


def encode_cursor(listing: str, after: str | int) -> str:
    raw = json.dumps({"l": listing, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor() -> UnprocessableContentError:
    return UnprocessableContentError.at(
        ["query", "cursor"], "is not a cursor this listing gave out", type="cursor_invalid"
    )


def decode_cursor(listing: str, cursor: str | None) -> str | int | None:
    """The sort key after which the page starts; None for the first page."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _bad_cursor() from None
    if not isinstance(data, dict) or data.get("l") != listing:
        raise _bad_cursor()
    after = data.get("a")
    if isinstance(after, bool):
        raise _bad_cursor()
    if isinstance(after, int) and 0 <= after < 2**63:
        return after
    if isinstance(after, str) and _SAFE_KEY.match(after):
        return after
    raise _bad_cursor()


def page_of(
    rows: Sequence[R],
    *,
    limit: int,
    listing: str,
    key: Callable[[R], str | int],
    to_public: Callable[[R], T],
) -> Page[T]:
    """A page from up to ``limit + 1`` rows fetched in order: the extra one only says "more"."""
    shown = rows[:limit]
    next_cursor = encode_cursor(listing, key(shown[-1])) if len(rows) > limit and shown else None
    return Page(items=[to_public(r) for r in shown], next_cursor=next_cursor)
