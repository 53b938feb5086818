"""The report's rules without a database: deadlines, percentiles, the equity rule, the CSV,
and invariants that hold for any rows (hypothesis)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import UnprocessableContentError
from services.router.reports import service
from services.router.reports.repository import HandoverRow, ReferralRow
from services.router.reports.schemas import Percentiles, SummaryReport

DAY = dt.timedelta(days=1)
TODAY = dt.date(2026, 11, 26)
NOON = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
AGES = {"under_18": 15, "18_24": 20, "25_59": 40, "60_plus": 75, "unknown": None}


def referral(
    n: int,
    *,
    age: int | None = 40,
    sex: str | None = "female",
    unmet: tuple[str, ...] = (),
    source: str = "police",
    reported: bool = True,
    refer_by: dt.date = TODAY,
    first_update_by: dt.date = TODAY,
) -> ReferralRow:
    victim: dict[str, Any] = {"area": "E07000008"}
    if age is not None:
        victim["age"] = age
    if sex is not None:
        victim["sex"] = sex
    return ReferralRow(
        id=f"r{n:04d}",
        source_kind=source,
        victim=victim,
        incident={"kind": "burglary", "reported_to_police": reported},
        unmet=[{"need": need, "reasons": []} for need in unmet],
        refer_by=refer_by,
        first_update_by=first_update_by,
    )


def handover(referral_id: str, status: str, *, requested: bool = True) -> HandoverRow:
    return HandoverRow(
        referral_id=referral_id,
        referral_created_at=NOON,
        service_id="svc",
        service_name="A service",
        status=status,
        reason="no capacity" if status == "declined" else None,
        outcomes=None,
        satisfaction=None,
        requested_at=NOON if requested else None,
        accepted_at=None,
        contacted_at=None,
    )


def make(
    referrals: list[ReferralRow],
    handovers: list[HandoverRow] | None = None,
    first_times: dict[str, tuple[dt.datetime | None, dt.datetime | None]] | None = None,
) -> SummaryReport:
    return service.build(
        referrals=referrals,
        handovers=handovers or [],
        first_times=first_times or {},
        by_source={},
        by_risk={},
        start=TODAY,
        end=TODAY,
        today=TODAY,
    )


def groups(report: SummaryReport, dimension: str) -> dict[str, Any]:
    rows = report.equity.by_age_band if dimension == "age" else report.equity.by_sex
    return {g.group: g for g in rows}


# --------------------------------------------------------------------------- rules


def test_deadline_states() -> None:
    due = TODAY
    assert service.deadline_state(due=due, done=due, today=due + 5 * DAY) == "met"
    assert service.deadline_state(due=due, done=due + DAY, today=due + DAY) == "missed"
    assert service.deadline_state(due=due, done=None, today=due) == "pending"  # due today
    assert service.deadline_state(due=due, done=None, today=due + DAY) == "missed"


@given(due=st.dates(), done=st.none() | st.dates(), today=st.dates())
def test_a_deadline_is_met_exactly_when_done_by_it(
    due: dt.date, done: dt.date | None, today: dt.date
) -> None:
    state = service.deadline_state(due=due, done=done, today=today)
    assert state in ("met", "missed", "pending")
    assert (state == "met") == (done is not None and done <= due)
    if state == "pending":
        assert done is None and today <= due


def test_nearest_rank_percentiles() -> None:
    assert service.percentiles([]) == Percentiles(count=0, p50=None, p90=None)
    assert service.percentiles([5.0]) == Percentiles(count=1, p50=5.0, p90=5.0)
    hours = [float(h) for h in range(1, 11)]  # 1..10
    assert service.percentiles(hours) == Percentiles(count=10, p50=5.0, p90=9.0)


def test_age_bands() -> None:
    assert [service.age_band(a) for a in (0, 17, 18, 24, 25, 59, 60, 120)] == [
        "under_18",
        "under_18",
        "18_24",
        "18_24",
        "25_59",
        "25_59",
        "60_plus",
        "60_plus",
    ]
    assert service.age_band(None) == service.age_band("34") == service.age_band(True) == "unknown"


def test_the_period_rules() -> None:
    service.check_period(start=TODAY, end=TODAY)
    service.check_period(start=TODAY, end=TODAY + (service.MAX_DAYS - 1) * DAY)
    with pytest.raises(UnprocessableContentError, match="on or after"):
        service.check_period(start=TODAY, end=TODAY - DAY)
    with pytest.raises(UnprocessableContentError, match="at most 366"):
        service.check_period(start=TODAY, end=TODAY + service.MAX_DAYS * DAY)


def test_not_reported_counts_unreported_incidents_and_self_referrals() -> None:
    report = make(
        [
            referral(1, source="police", reported=True),
            referral(2, source="agency", reported=False),
            referral(3, source="self", reported=True),
            referral(4, source="self", reported=False),
        ]
    )
    assert report.referrals.not_reported_to_police == 3


# --------------------------------------------------------------------------- equity


def test_a_skew_in_a_large_group_is_flagged() -> None:
    """60 older victims, 40 with a need unmet, against 100 others with 10: |z| about 6.5."""
    rows = [referral(i, age=75, unmet=("finance",) if i < 40 else ()) for i in range(60)]
    rows += [referral(100 + i, age=40, unmet=("finance",) if i < 10 else ()) for i in range(100)]
    bands = groups(make(rows), "age")
    assert bands["60_plus"].unmet.flag == "higher"
    assert bands["60_plus"].unmet.z is not None and bands["60_plus"].unmet.z > 6
    assert bands["25_59"].unmet.flag == "lower"
    assert bands["unknown"].unmet.flag is None  # empty


def test_the_same_rates_everywhere_are_not_flagged() -> None:
    rows = [
        referral(i, age=age, sex=sex, unmet=("finance",) if i % 4 == 0 else ())
        for i, (age, sex) in enumerate(
            (age, sex) for age in (15, 20, 40, 75) for sex in ("female", "male") for _ in range(40)
        )
    ]
    report = make(rows)
    for dimension in ("age", "sex"):
        for g in groups(report, dimension).values():
            assert g.unmet.flag is None, g
            assert g.unmet.z in (None, 0.0)


def test_a_tiny_group_is_never_flagged_however_far_off() -> None:
    """Five victims of unknown sex, all with a need unmet, among 200 with none: z is huge but
    five cannot be told apart from chance in the sense that matters here."""
    rows = [referral(i, sex=None, unmet=("refuge",)) for i in range(service.MIN_GROUP - 1)]
    rows += [referral(100 + i, sex="female") for i in range(200)]
    unknown = groups(make(rows), "sex")["unknown"]
    assert unknown.unmet.z is not None and unknown.unmet.z > 10
    assert unknown.unmet.flag is None
    rows.append(referral(99, sex=None, unmet=("refuge",)))  # now exactly the minimum
    assert groups(make(rows), "sex")["unknown"].unmet.flag == "higher"


def test_decline_rates_count_requested_handovers() -> None:
    rows = [referral(i, sex="male") for i in range(25)] + [
        referral(100 + i, sex="female") for i in range(25)
    ]
    handovers = [
        handover(r.id, "declined" if r.victim["sex"] == "male" else "accepted") for r in rows
    ]
    handovers.append(handover(rows[0].id, "proposed", requested=False))  # never asked: not counted
    sexes = groups(make(rows, handovers), "sex")
    assert (sexes["male"].declined.count, sexes["male"].declined.of) == (25, 25)
    assert sexes["male"].declined.flag == "higher"
    assert sexes["female"].declined.flag == "lower"
    assert sexes["female"].declined.rate == 0.0


# --------------------------------------------------------------------------- invariants

states = st.sampled_from(["met", "missed", "pending"])


@st.composite
def referral_rows(draw: st.DrawFn) -> tuple[list[ReferralRow], list[HandoverRow], dict[str, Any]]:
    n = draw(st.integers(min_value=0, max_value=40))
    rows: list[ReferralRow] = []
    handovers: list[HandoverRow] = []
    first: dict[str, tuple[dt.datetime | None, dt.datetime | None]] = {}
    for i in range(n):
        row = referral(
            i,
            age=draw(st.sampled_from(list(AGES.values()))),
            sex=draw(st.sampled_from([None, "female", "male", "other", "not_stated"])),
            unmet=tuple(
                draw(st.lists(st.sampled_from(["finance", "refuge", "health"]), max_size=3))
            ),
            source=draw(st.sampled_from(["police", "agency", "self"])),
            reported=draw(st.booleans()),
            refer_by=TODAY + draw(st.integers(-5, 5)) * DAY,
            first_update_by=TODAY + draw(st.integers(-5, 5)) * DAY,
        )
        rows.append(row)
        asked = draw(st.none() | st.integers(-6, 0))
        contacted = draw(st.none() | st.integers(-6, 0))
        if asked is not None or contacted is not None:
            first[row.id] = (
                None if asked is None else NOON + asked * DAY,
                None if contacted is None else NOON + contacted * DAY,
            )
        for status in draw(
            st.lists(st.sampled_from(["requested", "accepted", "declined", "expired"]), max_size=3)
        ):
            handovers.append(handover(row.id, status))
    return rows, handovers, first


@given(referral_rows())
def test_every_referral_is_counted_once_in_every_breakdown(
    drawn: tuple[list[ReferralRow], list[HandoverRow], dict[str, Any]],
) -> None:
    rows, handovers, first = drawn
    report = make(rows, handovers, first)
    total = len(rows)
    assert report.referrals.total == total
    for d in (report.deadlines.refer_by, report.deadlines.first_update_by):
        assert d.met + d.missed + d.pending == total
    assert sum(report.referrals.by_incident_kind.values()) == total
    for dimension in ("age", "sex"):
        gs = groups(report, dimension).values()
        assert sum(g.referrals for g in gs) == total
        assert sum(g.unmet.count for g in gs) == report.unmet.referrals_with_unmet
        assert sum(g.declined.of for g in gs) == sum(s.requested for s in report.services)
        for g in gs:
            for r in (g.unmet, g.declined, g.improved):
                assert 0 <= r.count <= r.of
                assert r.flag is None or r.of >= service.MIN_GROUP
    assert sum(a.referrals for a in report.unmet.by_area) == total
    for s in report.services:
        assert s.declined + s.expired + s.accepted <= s.requested
    # the CSV has one row per figure, and parses back
    lines = list(csv.reader(io.StringIO(service.to_csv(report))))
    assert len({tuple(line[:4]) for line in lines[1:]}) == len(lines) - 1


def test_free_text_cannot_become_a_spreadsheet_formula() -> None:
    rows = [referral(1)]
    evil = dataclasses.replace(
        handover(rows[0].id, "declined"), reason='=HYPERLINK("http://x","click")'
    )
    text = service.to_csv(make(rows, [evil]))
    [line] = [line for line in csv.reader(io.StringIO(text)) if line[2] == "decline_reason"]
    assert line[3] == '\'=HYPERLINK("http://x","click")'
    negative = [line for line in csv.reader(io.StringIO(text)) if line[4].startswith("-")]
    assert all(line[4].lstrip("-").replace(".", "").isdigit() for line in negative)
