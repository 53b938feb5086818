"""``UtcDateTime``'s one-step SQLite binder stores the same text as the processor SQLAlchemy
composes (``process_bind_param``, then SQLite's DATETIME), for every datetime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite

from services.common.db import UtcDateTime

SQLITE = sqlite.dialect()


def _processors() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    fast = UtcDateTime()._cached_bind_processor(SQLITE)
    slow = TypeDecorator.bind_processor(UtcDateTime().dialect_impl(SQLITE), SQLITE)
    assert fast is not None and slow is not None
    assert fast.__qualname__ != slow.__qualname__  # the test compares two different paths
    return fast, slow


zones = st.one_of(
    st.just(dt.UTC),
    st.timedeltas(min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23)).map(
        dt.timezone
    ),
)


@given(
    value=st.datetimes(
        min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=zones
    )
)
def test_the_sqlite_binder_stores_what_sqlalchemy_would(value: dt.datetime) -> None:
    fast, slow = _processors()
    assert fast(value) == slow(value)


def test_none_is_null_and_a_naive_datetime_is_refused() -> None:
    fast, slow = _processors()
    assert fast(None) is None and slow(None) is None
    with pytest.raises(ValueError, match="naive"):
        fast(dt.datetime(2026, 11, 26, 12, 0))


def test_other_databases_keep_the_composed_binder() -> None:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    processor = UtcDateTime()._cached_bind_processor(dialect)
    value = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert processor is None or processor(value) == value.astimezone(dt.UTC)
