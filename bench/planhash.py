"""The fingerprint of every plan graph/ makes, for changes to graph/ that must not change plans.

    .venv/bin/python -m bench.planhash [--referrals 1500] [--sizes 1000,10000,50000]

For the shipped directory and synthetic national ones (``bench/synth.py``, seeded), it plans
each referral of the benchmark's stream and reassesses it (``engine.reassessment_case``), and
prints one SHA-256 per directory over the canonical JSON of every plan and reassessment. Run it
before and after a change: equal lines mean the same plans byte for byte. The 50,000-service
directory takes about a minute.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from typing import Any

from graph.build import build_graph
from graph.codec import canonical_json, diff_to_dict, directory_from_dict, plan_to_dict
from graph.model import Referral
from graph.plan import make_plan
from graph.reassess import reassess

from .engine import county_referrals, national_referrals, reassessment_case, shipped_document
from .synth import NOW, national_directory


def fingerprint(document: dict[str, Any], referrals: Sequence[Referral]) -> str:
    """SHA-256 over every referral's plan, then its reassessment (where it has one)."""
    graph = build_graph(directory_from_dict(document, strict=False))
    digest = hashlib.sha256()
    for referral in referrals:
        digest.update(canonical_json(plan_to_dict(make_plan(graph, referral, now=NOW))).encode())
        case = reassessment_case(graph, referral)
        if case is not None:
            done = reassess(graph, case[0], case[1], now=NOW)
            both = [plan_to_dict(done.plan), diff_to_dict(done.diff)]
            digest.update(canonical_json(both).encode())
    return digest.hexdigest()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referrals", type=int, default=1_500)
    parser.add_argument("--sizes", default="1000,10000,50000")
    args = parser.parse_args(argv)
    county = county_referrals(args.referrals)
    print(f"shipped {fingerprint(shipped_document(), county)}", flush=True)
    national = national_referrals(args.referrals)
    for size in (int(s) for s in args.sizes.split(",") if s):
        document = national_directory(size, seed=1)
        print(f"{size} {fingerprint(document, national)}", flush=True)


if __name__ == "__main__":
    main()
