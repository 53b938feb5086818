"""Opaque cursors: what one listing gives out, only that listing takes back."""

from __future__ import annotations

import pytest

from services.common.errors import UnprocessableContentError
from services.common.pagination import decode_cursor, encode_cursor, page_of


@pytest.mark.parametrize(
    "after", ["svc-a", "entry:police", "0035c42f-b908-57d6-a32a-aacd62b66bee", 0, 2**62]
)
def test_a_cursor_round_trips(after: str | int) -> None:
    assert decode_cursor("services", encode_cursor("services", after)) == after


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",  # "not json"
        encode_cursor("providers", "svc-a"),
        encode_cursor("services", "has space"),
        encode_cursor("services", -1),
        encode_cursor("services", True),
        encode_cursor("services", 2**63),
    ],
)
def test_foreign_or_forged_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(UnprocessableContentError):
        decode_cursor("services", cursor)


def test_no_cursor_is_the_first_page() -> None:
    assert decode_cursor("services", None) is None


def test_page_of_uses_the_extra_row_only_to_say_there_is_more() -> None:
    rows = ["a", "b", "c"]
    page = page_of(rows, limit=2, listing="x", key=lambda r: r, to_public=str.upper)
    assert page.items == ["A", "B"]
    assert page.next_cursor is not None and decode_cursor("x", page.next_cursor) == "b"
    last = page_of(rows[:2], limit=2, listing="x", key=lambda r: r, to_public=str.upper)
    assert last.next_cursor is None
