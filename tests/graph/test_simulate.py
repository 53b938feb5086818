"""`graph.simulate` and `pathways simulate`: a seeded year of referrals against capacity."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from graph import Capacity, Directory, load_directory
from graph.simulate import (
    MORE_THAN_EMAIL,
    TRIAGE_REFERRALS,
    VICTIMS_PER_YEAR,
    SimulationResult,
    simulate,
    simulation_to_dict,
)
from graph.vocabulary import Need
from services.cli import main
from services.simulate_chart import ChartUnavailableError, draw_chart

START = dt.date(2026, 1, 5)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_directory()


@pytest.fixture(scope="module")
def year(directory: Directory) -> SimulationResult:
    """A full year at the calibrated volumes, from empty services (no warm-up: faster)."""
    return simulate(directory, seed=11, year_start=START, warmup_days=0)


def short(directory: Directory, seed: int = 3, **kw: object) -> SimulationResult:
    args: dict[str, object] = {"days": 28, "scale": 0.2, "warmup_days": 14, **kw}
    return simulate(directory, seed=seed, year_start=START, **args)  # type: ignore[arg-type]


def with_maximum(directory: Directory, service_id: str, maximum: int) -> Directory:
    services = tuple(
        dataclasses.replace(s, capacity=Capacity(maximum=maximum)) if s.id == service_id else s
        for s in directory.services
    )
    return dataclasses.replace(directory, services=services)


# ----------------------------------------------------------------- determinism


def test_the_same_seed_gives_the_same_result(directory: Directory) -> None:
    assert short(directory) == short(directory)
    assert simulation_to_dict(short(directory)) == simulation_to_dict(short(directory))


def test_another_seed_gives_another_result(directory: Directory) -> None:
    a, b = short(directory, seed=3), short(directory, seed=4)
    assert a != b
    assert a.by_stream != b.by_stream or a.services != b.services


# ----------------------------------------------------------------- calibration


def test_annual_volumes_are_within_the_calibrated_bands(year: SimulationResult) -> None:
    streams = dict(year.by_stream)
    triage = streams["email"] + streams["more"]
    # About a third of the county's 31,503 recorded victims were referred to triage.
    assert abs(triage - TRIAGE_REFERRALS) < 0.03 * TRIAGE_REFERRALS
    assert abs(3 * triage - VICTIMS_PER_YEAR) < 0.05 * VICTIMS_PER_YEAR
    assert abs(streams["more"] - MORE_THAN_EMAIL) < 0.1 * MORE_THAN_EMAIL
    # The specialist services each see a few hundred a year.
    assert 320 <= streams["high_risk_domestic_abuse"] <= 480
    assert 240 <= streams["sexual_violence"] <= 360
    assert 240 <= streams["home_security"] <= 360
    for sid in ("idva-cambridgeshire", "isva-cambridgeshire", "bobby-scheme"):
        demand = year.service(sid)
        assert 50 <= demand.requested + demand.turned_away <= 1_000, sid
    # Every triage referral is sent to triage first.
    assert year.service("victim-support-triage").requested >= triage


# ----------------------------------------------------------------- conservation


def test_every_referral_is_planned_or_left_with_unmet_needs(year: SimulationResult) -> None:
    assert year.with_neither == 0
    assert year.referrals == year.with_handovers + year.with_unmet - year.with_both
    assert sum(c for _, c in year.unmet) >= year.with_unmet


def test_caseloads_stay_within_what_was_accepted_and_the_maximum(year: SimulationResult) -> None:
    for s in year.services:
        assert s.accepted + s.declined <= s.requested, s.service_id
        # No warm-up: everything on the books was accepted during the year.
        assert s.end_caseload == s.accepted - s.completed >= 0, s.service_id
        assert min(s.weekly_caseload) >= 0, s.service_id
        assert s.peak_caseload <= s.accepted, s.service_id
        assert max(s.weekly_caseload) == s.peak_caseload, s.service_id
        if s.maximum is not None:
            assert s.peak_caseload <= s.maximum, s.service_id
        assert s.weeks_red + s.weeks_amber <= len(s.weekly_caseload) == 52


# ----------------------------------------------------------------- capacity


def test_a_tiny_service_goes_red_and_the_simulation_routes_around_it(
    directory: Directory,
) -> None:
    tiny = with_maximum(directory, "idva-cambridgeshire", 1)
    r = simulate(
        tiny,
        seed=5,
        year_start=START,
        days=28,
        warmup_days=0,
        streams={"high_risk_domestic_abuse": 3_000},
    )
    idva = r.service("idva-cambridgeshire")
    assert idva.peak_caseload == 1
    assert idva.weeks_red >= 3
    assert idva.turned_away > 0
    # Closed to new victims, the IDVA's work goes to the refuge's advocates or is left unmet,
    # and the unmet advocacy is put down to the IDVA being full.
    refuge = r.service("womens-aid-refuge")
    unmet = dict(r.unmet)
    assert refuge.requested > 0 or unmet.get(Need.DOMESTIC_ABUSE_ADVOCACY, 0) > 0
    assert dict(idva.unmet).get(Need.DOMESTIC_ABUSE_ADVOCACY, 0) > 0
    assert idva.verdict.startswith("too small: red")


def test_bad_arguments_are_refused(directory: Directory) -> None:
    with pytest.raises(ValueError, match="days"):
        simulate(directory, seed=1, year_start=START, days=0)
    with pytest.raises(ValueError, match="negative"):
        simulate(directory, seed=1, year_start=START, scale=-1)


# ----------------------------------------------------------------- the command


ARGS = ["simulate", "--days", "14", "--warmup-days", "7", "--scale", "0.1", "--seed", "2"]


def test_cli_prints_a_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], directory: Directory
) -> None:
    out_json = tmp_path / "sim.json"
    assert main([*ARGS, "--output-json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "peak/max" in out and "Verdicts:" in out
    for s in directory.services:
        assert s.id in out
    doc = json.loads(out_json.read_text("utf-8"))
    expected = simulate(directory, seed=2, year_start=START, days=14, warmup_days=7, scale=0.1)
    assert doc == json.loads(json.dumps(simulation_to_dict(expected)))
    assert {s["service_id"] for s in doc["services"]} == {s.id for s in directory.services}
    assert all(len(s["weekly_caseload"]) == 2 for s in doc["services"])


def test_cli_refuses_bad_numbers_and_directories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--days", "0"]) == 2
    assert "--days" in capsys.readouterr().err
    assert main(["simulate", "--directory", str(tmp_path / "missing.json")]) == 2
    assert capsys.readouterr().err.startswith("pathways simulate: cannot read")


def test_a_missing_plotting_library_is_a_clear_message() -> None:
    with pytest.raises(ChartUnavailableError, match=r"pip install '\.\[bench\]'"):
        draw_chart("no_such_module_for_pathways")


def test_cli_draws_the_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib", reason="the chart needs the bench extra (matplotlib)")
    chart = tmp_path / "sim.png"
    assert main([*ARGS, "--chart", str(chart)]) == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"chart: {chart}" in capsys.readouterr().out
