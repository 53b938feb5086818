from __future__ import annotations

import datetime as dt

import pytest

from graph.deadlines import (
    add_working_days,
    bank_holidays,
    easter_sunday,
    is_working_day,
    victims_code_deadlines,
)

# England and Wales bank holidays as published on GOV.UK.
PUBLISHED = {
    2024: [
        "2024-01-01",
        "2024-03-29",
        "2024-04-01",
        "2024-05-06",
        "2024-05-27",
        "2024-08-26",
        "2024-12-25",
        "2024-12-26",
    ],
    2025: [
        "2025-01-01",
        "2025-04-18",
        "2025-04-21",
        "2025-05-05",
        "2025-05-26",
        "2025-08-25",
        "2025-12-25",
        "2025-12-26",
    ],
    2026: [
        "2026-01-01",
        "2026-04-03",
        "2026-04-06",
        "2026-05-04",
        "2026-05-25",
        "2026-08-31",
        "2026-12-25",
        "2026-12-28",
    ],
    2027: [
        "2027-01-01",
        "2027-03-26",
        "2027-03-29",
        "2027-05-03",
        "2027-05-31",
        "2027-08-30",
        "2027-12-27",
        "2027-12-28",
    ],
    2022: [
        "2022-01-03",
        "2022-04-15",
        "2022-04-18",
        "2022-05-02",
        "2022-06-02",
        "2022-06-03",
        "2022-08-29",
        "2022-09-19",
        "2022-12-26",
        "2022-12-27",
    ],
    2023: [
        "2023-01-02",
        "2023-04-07",
        "2023-04-10",
        "2023-05-01",
        "2023-05-08",
        "2023-05-29",
        "2023-08-28",
        "2023-12-25",
        "2023-12-26",
    ],
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_match_the_published_list(year: int) -> None:
    assert sorted(d.isoformat() for d in bank_holidays(year)) == PUBLISHED[year]


def test_easter() -> None:
    assert easter_sunday(2024) == dt.date(2024, 3, 31)
    assert easter_sunday(2038) == dt.date(2038, 4, 25)


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    assert add_working_days(dt.date(2026, 11, 20), 2) == dt.date(2026, 11, 24)  # Fri → Tue
    assert add_working_days(dt.date(2026, 4, 2), 1) == dt.date(2026, 4, 7)  # Easter
    assert add_working_days(dt.date(2026, 11, 25), 0) == dt.date(2026, 11, 25)
    assert not is_working_day(dt.date(2026, 12, 28))
    with pytest.raises(ValueError):
        add_working_days(dt.date(2026, 1, 1), -1)


def test_victims_code_deadlines() -> None:
    enhanced = victims_code_deadlines(dt.date(2026, 12, 23), enhanced=True)
    assert enhanced.refer_by == dt.date(2026, 12, 29)
    assert enhanced.first_update_by == dt.date(2026, 12, 24)
    standard = victims_code_deadlines(dt.date(2026, 12, 23), enhanced=False)
    assert standard.first_update_by == dt.date(2027, 1, 4)
