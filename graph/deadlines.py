"""Victims' Code deadlines in working days (weekends and England and Wales bank holidays skipped).

>>> add_working_days(dt.date(2026, 12, 24), 2)   # Christmas and Boxing Day (substitute) skipped
datetime.date(2026, 12, 30)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

REFER_BY_DAYS = 2
"""The police pass a victim's details to support services within 2 working days."""
FIRST_UPDATE_ENHANCED_DAYS = 1
FIRST_UPDATE_DAYS = 5

_ONE_OFF: dict[int, tuple[tuple[int, int], ...]] = {
    # Moved or extra bank holidays by royal proclamation.
    2020: ((5, 8),),  # VE Day 75 (instead of 4 May)
    2022: ((6, 2), (6, 3), (9, 19)),  # Platinum Jubilee (instead of 30 May); State Funeral
    2023: ((5, 8),),  # Coronation
}
_MOVED: dict[int, tuple[int, int]] = {2020: (5, 4), 2022: (5, 30)}
"""Regular bank holidays that did not happen that year because they were moved."""


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday (Gregorian; the anonymous algorithm).

    >>> easter_sunday(2026)
    datetime.date(2026, 4, 5)
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def _first_monday(year: int, month: int) -> dt.date:
    d = dt.date(year, month, 1)
    return d + dt.timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> dt.date:
    d = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=d.weekday())


@cache
def bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales bank holidays of ``year``, substitute days included.

    >>> sorted(d.isoformat() for d in bank_holidays(2027))[-2:]
    ['2027-12-27', '2027-12-28']
    """
    days: set[dt.date] = set()
    new_year = dt.date(year, 1, 1)
    days.add(
        new_year + dt.timedelta(days=(7 - new_year.weekday()) % 7 if new_year.weekday() >= 5 else 0)
    )
    easter = easter_sunday(year)
    days.add(easter - dt.timedelta(days=2))
    days.add(easter + dt.timedelta(days=1))
    days.add(_first_monday(year, 5))
    days.add(_last_monday(year, 5))
    days.add(_last_monday(year, 8))
    if year in _MOVED:
        days.discard(dt.date(year, *_MOVED[year]))
    days.update(dt.date(year, m, d) for m, d in _ONE_OFF.get(year, ()))
    # Christmas and Boxing Day, each moved to the next free weekday when it falls at a weekend.
    for fixed in (dt.date(year, 12, 25), dt.date(year, 12, 26)):
        day = fixed
        while day.weekday() >= 5 or day in days:
            day += dt.timedelta(days=1)
        days.add(day)
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    while days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


@dataclass(frozen=True, slots=True)
class Deadlines:
    refer_by: dt.date
    """Details passed to support services (2 working days after the report)."""
    first_update_by: dt.date
    """First update to the victim (1 working day when enhanced, else 5)."""


def victims_code_deadlines(reported_on: dt.date, *, enhanced: bool) -> Deadlines:
    """The Victims' Code deadlines for a report made on ``reported_on``.

    >>> victims_code_deadlines(dt.date(2026, 11, 20), enhanced=True)
    Deadlines(refer_by=datetime.date(2026, 11, 24), first_update_by=datetime.date(2026, 11, 23))
    """
    return Deadlines(
        refer_by=add_working_days(reported_on, REFER_BY_DAYS),
        first_update_by=add_working_days(
            reported_on, FIRST_UPDATE_ENHANCED_DAYS if enhanced else FIRST_UPDATE_DAYS
        ),
    )
