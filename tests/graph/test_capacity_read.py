"""The planner reads each service's capacity through a figure worked out once per graph
(``graph.plan._capacities``); what it reads is ``effective_capacity``'s answer at every moment,
in every time zone the figures or the clock may carry."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from graph import build_graph, load_directory
from graph.plan import STALE_AFTER, _Planner, effective_capacity
from graph.vocabulary import CapacityStatus

from .helpers import NOW, referral

ZONES = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=1)),
        dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
        ZoneInfo("Europe/London"),
    ]
)
SERVICE = "victim-support-triage"


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(list(CapacityStatus)),
    updated=st.none()
    | st.datetimes(
        min_value=dt.datetime(2026, 3, 25), max_value=dt.datetime(2026, 11, 30), timezones=ZONES
    )
    | st.datetimes(min_value=dt.datetime(9999, 12, 28), timezones=st.just(dt.UTC)),
    moments=st.lists(
        st.one_of(
            st.timedeltas(min_value=-2 * STALE_AFTER, max_value=2 * STALE_AFTER),
            st.sampled_from([STALE_AFTER, STALE_AFTER + dt.timedelta(microseconds=1)]),
        ),
        min_size=1,
        max_size=4,
    ),
    clock_zone=ZONES,
)
def test_the_planner_reads_capacity_as_effective_capacity_says(
    status: CapacityStatus,
    updated: dt.datetime | None,
    moments: list[dt.timedelta],
    clock_zone: dt.tzinfo,
) -> None:
    directory = load_directory()
    services = tuple(
        dataclasses.replace(
            s, capacity=dataclasses.replace(s.capacity, status=status, updated=updated)
        )
        if s.id == SERVICE
        else s
        for s in directory.services
    )
    graph = build_graph(dataclasses.replace(directory, services=services))
    service = graph.services[SERVICE]
    anchor = updated if updated is not None and updated.year < 9999 else NOW
    for moment in moments:  # one graph, so later moments read what the first worked out
        now = (anchor + moment).astimezone(clock_zone)
        planner = _Planner(graph, referral(), now=now, current=())
        assert planner.capacity(SERVICE) == effective_capacity(service, now)
