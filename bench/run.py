"""`make bench`: every figure of the benchmark, written to bench/RESULTS.md with the plot
bench/plan-latency.png (bench/README.md says what each figure means and what limits it).

    .venv/bin/python -m bench.run [--quick] [--skip-http] [--skip-engine]

The engine figures come first (in this process), then the HTTP figures (the services under
uvicorn, the load generator in another process). The raw figures go to bench/out/*.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import engine

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
RESULTS = BENCH / "RESULTS.md"
PLOT = BENCH / "plan-latency.png"

PLAN_P99_SHIPPED_MS = 1.0
PLAN_P99_10K_MS = 5.0
SCALE_RATIO = 2.0
REBUILD_10K_MS = 300.0
REBUILD_10K_MB = 150.0


def engine_targets(figures: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    by_size = {r["services"]: r for r in figures["results"] if r["directory"].startswith("nat")}
    shipped = next(r for r in figures["results"] if not r["directory"].startswith("nat"))
    rows: list[tuple[str, str, bool | None]] = [
        (
            f"plan p99 ≤ {PLAN_P99_SHIPPED_MS:g} ms, shipped directory",
            f"{shipped['plan']['p99_ms']:.2f} ms (p50 {shipped['plan']['p50_ms']:.2f})",
            shipped["plan"]["p99_ms"] <= PLAN_P99_SHIPPED_MS,
        )
    ]
    if 10_000 in by_size:
        r = by_size[10_000]
        rows.append(
            (
                f"plan p99 ≤ {PLAN_P99_10K_MS:g} ms at 10,000 services",
                f"{r['plan']['p99_ms']:.2f} ms (first plan in an area: "
                f"{r['plan_first']['p99_ms']:.2f})",
                r["plan"]["p99_ms"] <= PLAN_P99_10K_MS,
            )
        )
        rows.append(
            (
                f"graph rebuild ≤ {REBUILD_10K_MS:g} ms at 10,000 services",
                f"{r['build_ms']:.0f} ms CPU, {r['build_wall_ms']:.0f} ms wall (+ "
                f"{r['parse_ms']:.0f} ms reading the snapshot)",
                r["build_ms"] <= REBUILD_10K_MS,
            )
        )
        rows.append(
            (
                f"graph rebuild ≤ {REBUILD_10K_MB:g} MB at 10,000 services",
                f"{r['build_peak_mb']:.0f} MB at peak, {r['build_retained_mb']:.0f} MB kept",
                r["build_peak_mb"] <= REBUILD_10K_MB,
            )
        )
    scaled = figures.get("scale")
    if scaled is not None and scaled["sizes"] == [1_000, 50_000]:
        small, large = scaled["small"]["p99_ms"], scaled["large"]["p99_ms"]
        once = ""
        if 1_000 in by_size and 50_000 in by_size:
            a, b = by_size[1_000]["plan"]["p99_ms"], by_size[50_000]["plan"]["p99_ms"]
            once = f"; timed once each, a minute apart: {b:.2f} ms / {a:.2f} ms = {b / a:.2f} ×"
        rows.append(
            (
                f"plan p99 at 50,000 ≤ {SCALE_RATIO:g} × p99 at 1,000",
                f"{large:.2f} ms / {small:.2f} ms = {scaled['p99_ratio']:.2f} × "
                f"({scaled['rounds']} interleaved passes of each{once})",
                scaled["p99_ratio"] <= SCALE_RATIO,
            )
        )
    return rows


def http_targets(figures: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    rows: list[tuple[str, str, bool | None]] = []
    for name, r in figures["backends"].items():
        if "skipped" in r:
            rows.append((f"POST /referrals on {name}", f"skipped: {r['skipped']}", None))
            continue
        t = r["targets"]
        rows.append(
            (
                f"POST /referrals ≥ 0.5 × baseline, {name}, 32 clients",
                f"{t['ratio']:.2f} × (CPU per request: "
                f"{r['post']['32']['router']['server_cpu_ms_per_request']:.1f} ms vs "
                f"{r['post']['32']['baseline']['server_cpu_ms_per_request']:.1f} ms)",
                t["ratio_ok"],
            )
        )
        rows.append(
            (
                # Read from the paced (open-loop) rounds: closed loop, 32 clients that resend at
                # once queue on themselves (bench/README.md, "p99 at 32 clients").
                f"POST /referrals p99 ≤ 100 ms, {name}, 32 clients (paced)",
                f"{t['paced_router_p99_ms']:.0f} ms at {t['paced_rate']:.0f}/s (baseline's "
                f"{t['paced_baseline_p99_ms']:.0f} ms); closed loop: "
                f"{t['router_p99_ms']:.0f} ms (baseline's {t['baseline_p99_ms']:.0f} ms)",
                t["paced_p99_ok"],
            )
        )
        w = r["webhooks"]
        rows.append(
            (
                f"webhook deliveries per second, {name}",
                f"{w['deliveries_per_second']:.0f}/s ({w['events']} events, "
                f"{w['worker_cpu_ms_per_delivery']:.1f} ms worker CPU each)",
                None,
            )
        )
    return rows


def engine_table(figures: dict[str, Any]) -> list[str]:
    lines = [
        "| directory | services | pathways | read snapshot | build | memory (peak / kept) "
        "| plan p50 | plan p99 | first plan p99 | reassess p50 | reassess p99 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in figures["results"]:
        lines.append(
            f"| {r['directory']} | {r['services']:,} | {r['pathways']:,} | "
            f"{r['parse_ms']:,.0f} ms | {r['build_ms']:,.1f} ms | "
            f"{r['build_peak_mb']:.1f} / {r['build_retained_mb']:.1f} MB | "
            f"{r['plan']['p50_ms']:.3f} | {r['plan']['p99_ms']:.3f} | "
            f"{r['plan_first']['p99_ms']:.3f} | {r['reassess']['p50_ms']:.3f} | "
            f"{r['reassess']['p99_ms']:.3f} |"
        )
    lines += [
        "",
        "Latencies in ms of CPU time of the planning thread over "
        f"{figures['plans_per_size']:,} referrals per directory. Wall-clock p99 (which also "
        "counts moments other processes held the core): "
        + "; ".join(
            f"{r['services']:,}: {r['plan']['wall_p99_ms']:.2f} ms" for r in figures["results"]
        )
        + ".",
    ]
    return lines


def write_results(
    engine_figures: dict[str, Any] | None,
    http_figures: dict[str, Any] | None,
    *,
    command: str,
    started: str,
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> None:
    import importlib.metadata as md  # noqa: PLC0415  (only for the versions line)

    def version(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "-"

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {started} (UTC). What each figure means, how it is "
        "measured and what limits it: [README.md](README.md). Raw figures: `bench/out/*.json`.",
        "",
        f"- Machine: {os.cpu_count()} cores ({model}), {platform.platform()}; load average "
        f"{', '.join(f'{x:.1f}' for x in load[0])} at the start and "
        f"{', '.join(f'{x:.1f}' for x in load[1])} at the end (other sessions share it).",
        f"- Python {platform.python_version()}; networkx {version('networkx')}, FastAPI "
        f"{version('fastapi')}, uvicorn {version('uvicorn')}, SQLAlchemy {version('sqlalchemy')}, "
        f"SQLModel {version('sqlmodel')}, psycopg {version('psycopg')}, pydantic "
        f"{version('pydantic')}.",
        "",
        "## Targets",
        "",
        "| target | figure | met |",
        "| --- | --- | :---: |",
    ]
    rows: list[tuple[str, str, bool | None]] = []
    if engine_figures:
        rows += engine_targets(engine_figures)
    if http_figures:
        rows += http_targets(http_figures)
    for target, figure, ok in rows:
        mark = "—" if ok is None else "yes" if ok else "**no**"
        lines.append(f"| {target} | {figure} | {mark} |")
    if engine_figures:
        lines += [
            "",
            "## The engine, in process",
            "",
            f"![Plan latency against directory size]({PLOT.name})",
            "",
            *engine_table(engine_figures),
        ]
    if http_figures:
        from .http_bench import render  # noqa: PLC0415  (the HTTP part is optional)

        lines += [
            "",
            "## Over HTTP",
            "",
            "Both services under uvicorn on loopback, the load generator in another process; "
            "the baseline (`bench/baseline.py`) and the router take turns, round by round. "
            "What the router does that the baseline does not: "
            + "; ".join(http_figures.get("router_extras", []))
            + ".",
            "",
            "```",
            render(http_figures),
            "```",
        ]
    RESULTS.write_text("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes, shorter rounds")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args(argv)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    load_start = os.getloadavg()
    OUT.mkdir(parents=True, exist_ok=True)
    engine_figures = http_figures = None
    if not args.skip_engine:
        engine_figures = engine.run(quick=args.quick)
        (OUT / "engine.json").write_text(json.dumps(engine_figures, indent=2) + "\n")
        engine.plot(engine_figures, PLOT)
    elif (OUT / "engine.json").exists():
        engine_figures = json.loads((OUT / "engine.json").read_text())
    if not args.skip_http:
        from .http_bench import run as http_run  # noqa: PLC0415

        http_figures = http_run(quick=args.quick)
        (OUT / "http.json").write_text(json.dumps(http_figures, indent=2) + "\n")
    elif (OUT / "http.json").exists():
        http_figures = json.loads((OUT / "http.json").read_text())
    command = "make bench" + (" ARGS=--quick" if args.quick else "")
    write_results(
        engine_figures,
        http_figures,
        command=command,
        started=started,
        load=(load_start, os.getloadavg()),
    )
    print(f"wrote {RESULTS} and {PLOT}", flush=True)


if __name__ == "__main__":
    main()
