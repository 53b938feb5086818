"""Entity tags and conditional headers (RFC 9110 §8.8.3, §13.1)."""

from __future__ import annotations

import pytest

from services.common.errors import PreconditionFailedError, PreconditionRequiredError
from services.common.etag import check_if_match, etag_of, if_match_holds, if_none_match_hits

CURRENT = '"abc"'


def test_etags_are_strong_and_follow_the_content() -> None:
    tag = etag_of({"b": 1, "a": [1, 2]})
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")
    assert etag_of({"a": [1, 2], "b": 1}) == tag  # key order does not matter
    assert etag_of({"a": [2, 1], "b": 1}) != tag


@pytest.mark.parametrize(
    ("header", "holds"),
    [
        ('"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('W/"abc"', False),  # If-Match compares strongly
        ('"abd"', False),
        ("abc", False),
        ('"abc', False),
        ("", False),
    ],
)
def test_if_match(header: str, holds: bool) -> None:
    assert if_match_holds(header, CURRENT) is holds


@pytest.mark.parametrize(
    ("header", "hits"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"a", "b", "abc"', True),
        ("*", True),
        ('"x"', False),
        (None, False),
    ],
)
def test_if_none_match(header: str | None, hits: bool) -> None:
    assert if_none_match_hits(header, CURRENT) is hits


def test_check_if_match() -> None:
    check_if_match(CURRENT, CURRENT, required=True, what="it")
    check_if_match(None, CURRENT, required=False, what="it")
    with pytest.raises(PreconditionRequiredError):
        check_if_match(None, CURRENT, required=True, what="it")
    with pytest.raises(PreconditionFailedError, match="has changed"):
        check_if_match('"old"', CURRENT, required=False, what="it")
