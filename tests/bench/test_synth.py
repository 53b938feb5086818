"""The benchmark's synthetic data (bench/synth.py) is what it claims: the same for the same
seed, the size asked for, valid for graph/'s strict readers, national in shape; and the engine
benchmark's measuring runs end to end on a small case."""

from __future__ import annotations

from collections import Counter

from bench.engine import county_referrals, measure, national_referrals, scale
from bench.planhash import fingerprint
from bench.stats import percentile
from bench.synth import (
    CAMBS,
    NOW,
    core_size,
    geography,
    national_directory,
    referral_bodies,
)
from graph.codec import directory_from_dict, load_directory_document, referral_from_dict


def test_the_geography_is_43_force_areas_and_330_local_authorities() -> None:
    forces = geography()
    assert len(forces) == 43
    assert sum(map(len, forces)) == 330
    assert forces[0] == list(CAMBS)
    codes = [a for f in forces for a in f]
    assert len(set(codes)) == len(codes)


def test_a_national_directory_has_the_size_asked_and_is_valid() -> None:
    document = national_directory(core_size() + 150, seed=7)
    directory = directory_from_dict(document)  # strict: every field and reference checked
    assert len(directory.services) == core_size() + 150
    assert national_directory(core_size() + 150, seed=7) == document
    assert national_directory(core_size() + 150, seed=8) != document
    statuses = Counter(s.capacity.status.value for s in directory.services)
    assert set(statuses) == {"green", "amber", "red"}
    # Every service can be reached from the police entry node.
    reached = {p.to_service for p in directory.pathways if p.from_node == "entry:police"}
    assert reached >= {s.id for s in directory.services if "watch" not in s.id}


def test_a_directory_smaller_than_its_core_is_refused() -> None:
    try:
        national_directory(core_size() - 1, seed=1)
    except ValueError as exc:
        assert str(core_size()) in str(exc)
    else:
        raise AssertionError("a directory smaller than the core was made")


def test_referral_bodies_are_valid_referrals_with_a_realistic_mix() -> None:
    bodies = referral_bodies(400, seed=3)
    assert bodies == referral_bodies(400, seed=3)
    for body in bodies:
        referral_from_dict(body, today=NOW.date())
    kinds = Counter(b["incident"]["kind"] for b in bodies)
    assert kinds.most_common(1)[0][0] in {"violence", "domestic_abuse"}
    assert {b["source"]["kind"] for b in bodies} == {"police", "agency", "self"}
    assert {b["victim"]["area"] for b in bodies} == set(CAMBS)


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([5], 99) == 5


def test_the_engine_measure_runs_on_the_shipped_directory() -> None:
    document = load_directory_document()
    referrals = county_referrals(20, seed=1)
    figures = measure("shipped", document, referrals, builds=1)
    assert figures["services"] == 28
    assert figures["plan"]["calls"] == 20
    assert 0 < figures["plan"]["p50_ms"] <= figures["plan"]["p99_ms"]
    assert figures["reassess"]["calls"] > 0


def test_the_scale_figure_interleaves_passes_over_both_sizes() -> None:
    figures = scale((1_000, 2_000), national_referrals(20, seed=1), rounds=3)
    assert figures["sizes"] == [1_000, 2_000]
    assert figures["small"]["calls"] == figures["large"]["calls"] == 60
    ratio = figures["large"]["p99_ms"] / figures["small"]["p99_ms"]
    assert figures["p99_ratio"] == round(ratio, 3)


def test_the_plan_fingerprint_is_the_same_for_the_same_plans() -> None:
    document = load_directory_document()
    referrals = county_referrals(10, seed=1)
    first = fingerprint(document, referrals)
    assert first == fingerprint(document, referrals)
    assert first != fingerprint(document, referrals[:9])
    assert len(first) == 64
